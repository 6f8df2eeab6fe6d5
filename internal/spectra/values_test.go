package spectra

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestValueChecks(t *testing.T) {
	east := time.FixedZone("east", 14*3600)
	west := time.FixedZone("west", -(23*3600 + 59*60))
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"finite", CheckFloat(1e308), ""},
		{"+Inf", CheckFloat(math.Inf(1)), MsgNotFinite},
		{"-Inf", CheckFloat(math.Inf(-1)), MsgNotFinite},
		{"NaN", CheckFloat(math.NaN()), MsgNotFinite},
		{"1900", CheckTime(EarliestTime), ""},
		{"before 1900", CheckTime(EarliestTime.Add(-time.Nanosecond)), MsgTimeRange},
		{"year 1", CheckTime(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)), MsgTimeRange},
		{"last microsecond", CheckTime(LatestTime), ""},
		{"a nanosecond PostgreSQL rounds into 10000", CheckTime(LatestTime.Add(500 * time.Nanosecond)), MsgTimeRange},
		{"9999 west of UTC is 10000", CheckTime(time.Date(9999, 12, 31, 23, 59, 59, 0, west)), MsgTimeRange},
		{"10000 east of UTC is 9999", CheckTime(time.Date(10000, 1, 1, 9, 0, 0, 0, east)), ""},
		{"text", CheckText("héllo"), ""},
		{"NUL", CheckText("a\x00b"), MsgNUL},
		{"invalid UTF-8", CheckText("\xff"), MsgUTF8},
		{"int32 max", CheckInt32(math.MaxInt32), ""},
		{"int32 min", CheckInt32(math.MinInt32), ""},
		{"2^31", CheckInt32(math.MaxInt32 + 1), MsgInt32Range},
		{"-2^31-1", CheckInt32(math.MinInt32 - 1), MsgInt32Range},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestControlLimits(t *testing.T) {
	if u, l, err := ControlLimits(10, 1); err != nil || u != 13 || l != 7 {
		t.Errorf("ControlLimits(10, 1) = %v, %v, %v", u, l, err)
	}
	for _, cs := range [][2]float64{{0, 1e308}, {1.5e308, 1e308}, {-1.5e308, 1e308}} {
		_, _, err := ControlLimits(cs[0], cs[1])
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "sigma" {
			t.Errorf("ControlLimits(%g, %g) = %v, want invalid naming sigma", cs[0], cs[1], err)
		}
	}
	if _, _, err := Baseline([]float64{1e308, -1e308}); ErrorCode(err) != CodeInvalid {
		t.Errorf("a baseline whose limits overflow: %v", err)
	}
}
