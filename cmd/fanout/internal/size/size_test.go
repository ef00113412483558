package size

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"512", 512}, {"512B", 512}, {"7B", 7}, {"10KB", 10e3}, {"10kb", 10e3}, {"10K", 10e3},
		{"2MB", 2e6}, {"1gb", 1e9}, {"10GB", 10e9}, {"1TB", 1e12}, {"1KiB", 1024}, {"2MiB", 2 << 20},
		{"1.5GiB", 3 << 29}, {"1.5MiB", 3 << 19}, {"1.5KB", 1500}, {" 3 MB ", 3e6},
	} {
		if got, err := Parse(tc.in); err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "x", "-1", "1XB", "10XB", "10000000TB", "99999999999TB", "NaN", "Inf", "-1.5KB", "1e30"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", in, got)
		}
	}
	if n, err := Limit(""); n != 0 || err != nil {
		t.Errorf(`Limit("") = %d, %v; want 0 (no limit)`, n, err)
	}
}
