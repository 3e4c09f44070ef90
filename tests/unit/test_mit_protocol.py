"""MIT protocol frames, bit for bit, against vectors computed by hand.

Encoding rule: uint = trunc((x - lo) * (2^bits - 1) / (hi - lo)), x clamped to [lo, hi].
AK80-9 ranges: position +-12.5 rad, velocity +-50 rad/s, torque +-18 N m, kp 0..500,
kd 0..5. Command layout: p[15:8] p[7:0] v[11:4] v[3:0]|kp[11:8] kp[7:0] kd[11:4]
kd[3:0]|t[11:8] t[7:0].
"""

from __future__ import annotations

import pytest

from legkit.hardware.mit_protocol import (
    ENTER_MOTOR_MODE,
    EXIT_MOTOR_MODE,
    MOTOR_MODELS,
    SET_ZERO,
    MitCommand,
    MitReply,
    error_name,
    float_to_uint,
    get_model,
    is_special,
    pack_command,
    pack_reply,
    reply_motor_id,
    uint_to_float,
    unpack_command,
    unpack_reply,
)

AK80_9 = get_model("AK80-9")


def test_special_frames_are_seven_ff_then_fc_fd_fe():
    assert ENTER_MOTOR_MODE == bytes.fromhex("FF FF FF FF FF FF FF FC")
    assert EXIT_MOTOR_MODE == bytes.fromhex("FF FF FF FF FF FF FF FD")
    assert SET_ZERO == bytes.fromhex("FF FF FF FF FF FF FF FE")
    assert all(is_special(f) for f in (ENTER_MOTOR_MODE, EXIT_MOTOR_MODE, SET_ZERO))
    assert not is_special(bytes.fromhex("FF FF FF FF FF FF FF FB"))


def test_model_table_holds_the_ak_ranges():
    ranges = {
        name: (m.position_max, m.velocity_max, m.torque_max, m.kp_max, m.kd_max)
        for name, m in MOTOR_MODELS.items()
    }
    assert ranges["AK80-9"] == (12.5, 50.0, 18.0, 500.0, 5.0)
    assert ranges["AK70-10"] == (12.5, 50.0, 25.0, 500.0, 5.0)
    assert ranges["AK60-6"] == (12.5, 45.0, 15.0, 500.0, 5.0)


def test_unknown_model_is_refused_with_the_known_ones_listed():
    with pytest.raises(ValueError, match=r"unknown motor model 'AK99-1'.*AK80-9"):
        get_model("AK99-1")


def test_zero_command_is_the_well_known_midscale_frame():
    # p: (0 + 12.5) * 65535 / 25  = 32767.5 -> 32767 = 0x7FFF
    # v: (0 + 50)   * 4095 / 100  = 2047.5  -> 2047  = 0x7FF
    # kp = kd = 0 -> 0x000
    # t: (0 + 18)   * 4095 / 36   = 2047.5  -> 2047  = 0x7FF
    # bytes: 7F FF | 7F | F<<4|0 = F0 | 00 | 00 | 0<<4|7 = 07 | FF
    assert pack_command(MitCommand(), AK80_9) == bytes.fromhex("7F FF 7F F0 00 00 07 FF")


def test_command_frame_packs_every_field():
    # p  = 1.0:  13.5 * 65535 / 25   = 35388.9 -> 35388 = 0x8A3C
    # v  = -2.0: 48 * 4095 / 100     = 1965.6  -> 1965  = 0x7AD
    # kp = 50:   50 * 4095 / 500     = 409.5   -> 409   = 0x199
    # kd = 1.0:  1 * 4095 / 5        = 819.0   -> 819   = 0x333
    # t  = 3.0:  21 * 4095 / 36      = 2388.75 -> 2388  = 0x954
    # bytes: 8A 3C | 7A | D<<4|1 = D1 | 99 | 33 | 3<<4|9 = 39 | 54
    cmd = MitCommand(position=1.0, velocity=-2.0, kp=50.0, kd=1.0, torque=3.0)
    assert pack_command(cmd, AK80_9) == bytes.fromhex("8A 3C 7A D1 99 33 39 54")


def test_command_fields_are_clamped_to_the_model_range_before_encoding():
    # p 100 -> 12.5 -> 65535 = FFFF; v -100 -> -50 -> 0; kp 1000 -> 500 -> 4095 = FFF;
    # kd -1 -> 0 -> 0; t 18 -> 4095 = FFF
    # bytes: FF FF | 00 | 0<<4|F = 0F | FF | 00 | 0<<4|F = 0F | FF
    cmd = MitCommand(position=100.0, velocity=-100.0, kp=1000.0, kd=-1.0, torque=18.0)
    assert pack_command(cmd, AK80_9) == bytes.fromhex("FF FF 00 0F FF 00 0F FF")


def test_encoding_repeats_the_reference_single_precision_arithmetic():
    # t = -17.2 N m on +-18, 12 bit. Exactly, (0.8 * 4095) / 36 = 91.0. The reference C
    # code works in float: -17.2f = -17.20000076, + 18 = 0.79999924, * 4095 = 3275.9969,
    # / 36 = 90.99991 -> 90. A double-precision encoder would send 91.
    assert float_to_uint(-17.2, -18.0, 18.0, 12) == 90
    # t = -10.8: exactly 7.2 * 4095 / 36 = 819.0. In float -10.8f + 18 = 7.2f, * 4095 =
    # 29484.0 (rounded), / 36 = 819.0 -> 819; in double 7.199999999999999 * 4095 / 36 =
    # 818.9999999999999 -> 818.
    assert float_to_uint(-10.8, -18.0, 18.0, 12) == 819


def test_non_finite_values_are_never_encoded():
    with pytest.raises(ValueError, match="non-finite"):
        pack_command(MitCommand(torque=float("nan")), AK80_9)
    with pytest.raises(ValueError, match="non-finite"):
        pack_command(MitCommand(position=float("inf")), AK80_9)


def test_uint_to_float_inverts_within_one_step():
    for x in (-12.5, -3.3, 0.0, 7.77, 12.5):
        u = float_to_uint(x, -12.5, 12.5, 16)
        assert uint_to_float(u, -12.5, 12.5, 16) == pytest.approx(x, abs=25.0 / 65535)


def test_motor_side_decodes_the_command_it_was_sent():
    cmd = MitCommand(position=1.0, velocity=-2.0, kp=50.0, kd=1.0, torque=3.0)
    got = unpack_command(pack_command(cmd, AK80_9), AK80_9)
    # One quantization step of each field at most.
    assert got.position == pytest.approx(1.0, abs=25 / 65535)
    assert got.velocity == pytest.approx(-2.0, abs=100 / 4095)
    assert got.kp == pytest.approx(50.0, abs=500 / 4095)
    assert got.kd == pytest.approx(1.0, abs=5 / 4095)
    assert got.torque == pytest.approx(3.0, abs=36 / 4095)


def test_eight_byte_reply_carries_id_state_temperature_and_error_code():
    # 01 | 8A 3C | 7A D9 54 | 41 | 02
    # id 1; p_int 0x8A3C = 35388 -> 35388 * 25 / 65535 - 12.5 = 0.99966 rad
    # v_int 0x7A<<4 | 0xD = 0x7AD = 1965 -> 1965 * 100 / 4095 - 50 = -2.01465 rad/s
    # t_int 0x9<<8 | 0x54 = 0x954 = 2388 -> 2388 * 36 / 4095 - 18 = 2.99341 N m
    # temperature 0x41 = 65 -> 65 - 40 = 25 C; error code 2 = over-current
    reply = unpack_reply(bytes.fromhex("01 8A 3C 7A D9 54 41 02"), AK80_9)
    assert reply.motor_id == 1
    assert reply.position == pytest.approx(35388 * 25 / 65535 - 12.5)
    assert reply.velocity == pytest.approx(1965 * 100 / 4095 - 50)
    assert reply.torque == pytest.approx(2388 * 36 / 4095 - 18)
    assert reply.temperature == 25.0
    assert reply.error_code == 2
    assert error_name(reply.error_code) == "over-current"


def test_six_byte_reply_of_the_original_firmware_has_no_temperature_or_error():
    reply = unpack_reply(bytes.fromhex("05 7F FF 7F F7 FF"), AK80_9)
    assert reply.motor_id == 5
    assert reply.position == pytest.approx(32767 * 25 / 65535 - 12.5)
    assert reply.temperature is None and reply.error_code is None


def test_reply_packing_is_bit_exact():
    # id 1, p 0 -> 7FFF, v 0 -> 7FF, t 0 -> 7FF, 25 C -> 65 = 0x41, no error
    # bytes: 01 | 7F FF | 7F | F<<4|7 = F7 | FF | 41 | 00
    reply = MitReply(1, 0.0, 0.0, 0.0, temperature=25.0, error_code=0)
    assert pack_reply(reply, AK80_9) == bytes.fromhex("01 7F FF 7F F7 FF 41 00")
    assert pack_reply(MitReply(1, 0.0, 0.0, 0.0), AK80_9) == bytes.fromhex("01 7F FF 7F F7 FF")


def test_reply_of_a_wrong_length_is_refused():
    with pytest.raises(ValueError, match="6 or 8 bytes"):
        reply_motor_id(bytes(7))
