package report

import (
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{dur(1500 * time.Microsecond), "2 ms"},
		{dur(9999 * time.Millisecond), "9999 ms"},
		{dur(12345 * time.Millisecond), "12.35 s"},
		{dur(0), "0"},
		{bytesize(1572864), "1,572,864"},
		{bytesize(999), "999"},
		{bytesize(1000), "1,000"},
		{mib(3 << 20), "3.0 MiB"},
		{verdict(true), "**met**"},
		{verdict(false), "**missed**"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
