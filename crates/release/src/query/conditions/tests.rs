//! The grains' edges and cuts.

use super::*;

#[test]
fn euro_edges_are_one_two_five_series() {
    for x in [0.0, 1.0, 2.0, 5.0, 10.0, 500.0, 1000.0, -2000.0, 50_000.0] {
        assert!(Grain::Euros.is_edge(x), "{x}");
    }
    for x in [3.0, 1234.0, 999.0, 0.5, 1500.0, f64::NAN] {
        assert!(!Grain::Euros.is_edge(x), "{x}");
    }
    assert_eq!(Grain::Euros.near(1234.0), (1000.0, 2000.0));
}

#[test]
fn day_edges_are_weeks_then_the_usual_durations() {
    for x in [0.0, 7.0, 14.0, 30.0, 90.0, 365.0] {
        assert!(Grain::Days.is_edge(x), "{x}");
    }
    for x in [5.0, 6.0, 31.0, 32.0, 89.0, 7.5, 366.0] {
        assert!(!Grain::Days.is_edge(x), "{x}");
    }
    assert_eq!(Grain::Days.near(100.0), (90.0, 120.0));
}
