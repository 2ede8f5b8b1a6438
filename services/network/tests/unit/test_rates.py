"""Rates from counters: wraps of 32-bit counters are unwound, a reboot or a counter going
backwards gives no rate rather than a spike, utilisation is against the interface's speed."""

from network.polling.rates import CounterReading, delta, rate, restarted, utilisation


def test_a_rate_is_bits_a_second_between_two_readings():
    got = rate(CounterReading(1_000, 64), CounterReading(126_000, 64), 10.0)
    assert got.bps == 100_000.0


def test_a_32_bit_counter_that_wrapped_once_is_unwound():
    before, after = CounterReading(2**32 - 1_000, 32), CounterReading(4_000, 32)
    assert delta(before, after) == 5_000
    assert rate(before, after, 1.0).bps == 40_000.0


def test_a_64_bit_counter_going_backwards_is_a_reset_not_a_spike():
    got = rate(CounterReading(10**12, 64), CounterReading(5, 64), 60.0)
    assert got.bps is None and "backwards" in (got.reason or "")


def test_a_reboot_resets_instead_of_reporting_a_rate():
    assert restarted(500_000, 1_200) is True
    assert restarted(500_000, 506_000) is False
    assert restarted(None, 1_200) is False
    got = rate(CounterReading(10**9, 64), CounterReading(10**9 + 8, 64), 60.0, rebooted=True)
    assert got.bps is None and "restarted" in (got.reason or "")


def test_the_first_reading_and_no_elapsed_time_give_no_rate():
    assert rate(None, CounterReading(5, 64), 60.0).bps is None
    assert rate(CounterReading(5, 64), CounterReading(9, 64), 0.0).bps is None
    assert rate(CounterReading(5, 32), CounterReading(9, 64), 1.0).bps is None  # width changed


def test_utilisation_is_a_share_of_the_interface_speed():
    assert utilisation(250_000_000, 1000) == 0.25
    assert utilisation(3e9, 1000) == 1.0  # a miscounted burst never shows over 100%
    assert utilisation(None, 1000) is None
    assert utilisation(1e6, None) is None
    assert utilisation(1e6, 0) is None
