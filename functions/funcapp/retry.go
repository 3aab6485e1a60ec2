package funcapp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retry strategies of function.json's retry policy.
const (
	ExponentialBackoff = "exponentialBackoff"
	FixedDelay         = "fixedDelay"
)

// Forever is MaxRetryCount's value for "retry until it succeeds".
const Forever = -1

// RetryPolicy is function.json's "retry" section. The host retries a failed
// invocation in memory with it, and the Cosmos DB trigger's lease waits (no
// checkpoint) until an attempt succeeds or the retries run out.
type RetryPolicy struct {
	// Strategy is ExponentialBackoff or FixedDelay.
	Strategy string
	// MaxRetryCount counts retries after the first attempt; Forever (-1)
	// retries without end.
	MaxRetryCount int
	// DelayInterval is FixedDelay's wait between attempts.
	DelayInterval time.Duration
	// MinimumInterval and MaximumInterval bound ExponentialBackoff's waits.
	MinimumInterval, MaximumInterval time.Duration
}

// retryJSON is the section as written: intervals as .NET TimeSpan strings
// ("00:00:02"), names matched case-insensitively.
type retryJSON struct {
	Strategy        string `json:"strategy"`
	MaxRetryCount   *int   `json:"maxRetryCount"`
	DelayInterval   string `json:"delayInterval"`
	MinimumInterval string `json:"minimumInterval"`
	MaximumInterval string `json:"maximumInterval"`
}

// policy converts the section, reporting every field it cannot read.
func (r *retryJSON) policy() (*RetryPolicy, error) {
	p := &RetryPolicy{Strategy: r.Strategy}
	var errs []error
	if r.MaxRetryCount == nil {
		errs = append(errs, errors.New("retry.maxRetryCount: missing (the host requires it; -1 retries forever)"))
	} else {
		p.MaxRetryCount = *r.MaxRetryCount
	}
	for _, f := range []struct {
		name, text string
		into       *time.Duration
	}{
		{"delayInterval", r.DelayInterval, &p.DelayInterval},
		{"minimumInterval", r.MinimumInterval, &p.MinimumInterval},
		{"maximumInterval", r.MaximumInterval, &p.MaximumInterval},
	} {
		if f.text == "" {
			continue
		}
		d, err := ParseTimeSpan(f.text)
		if err != nil {
			errs = append(errs, fmt.Errorf("retry.%s: %w", f.name, err))
		}
		*f.into = d
	}
	return p, errors.Join(errs...)
}

// validate applies the host's rules (Utility.ValidateRetryOptions and the
// retry attributes' constructors).
func (p *RetryPolicy) validate() error {
	var errs []error
	if p.MaxRetryCount < Forever {
		errs = append(errs, fmt.Errorf("retry.maxRetryCount is %d; want -1 (forever) or more", p.MaxRetryCount))
	}
	switch {
	case strings.EqualFold(p.Strategy, FixedDelay):
		p.Strategy = FixedDelay
		if p.DelayInterval <= 0 {
			errs = append(errs, errors.New("retry.delayInterval: fixedDelay needs a positive interval (\"hh:mm:ss\")"))
		}
	case strings.EqualFold(p.Strategy, ExponentialBackoff):
		p.Strategy = ExponentialBackoff
		if p.MinimumInterval <= 0 || p.MaximumInterval <= 0 {
			errs = append(errs, errors.New("retry.minimumInterval and retry.maximumInterval: exponentialBackoff needs both, positive (\"hh:mm:ss\")"))
		} else if p.MinimumInterval > p.MaximumInterval {
			errs = append(errs, fmt.Errorf("retry.minimumInterval %s is greater than retry.maximumInterval %s", p.MinimumInterval, p.MaximumInterval))
		}
	default:
		errs = append(errs, fmt.Errorf("retry.strategy is %q; want %s or %s", p.Strategy, ExponentialBackoff, FixedDelay))
	}
	return errors.Join(errs...)
}

// ParseTimeSpan reads a .NET TimeSpan in the host's invariant format:
// [-][d.]hh:mm[:ss[.fffffff]], or a whole number of days.
func ParseTimeSpan(s string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimPrefix(text, "-")
	bad := fmt.Errorf("%q is not a time span; write [d.]hh:mm:ss", s)
	if n, err := strconv.Atoi(text); err == nil {
		return sign(neg, time.Duration(n)*24*time.Hour), nil
	}
	var days int
	if dot, colon := strings.IndexByte(text, '.'), strings.IndexByte(text, ':'); dot >= 0 && dot < colon {
		n, err := strconv.Atoi(text[:dot])
		if err != nil || n < 0 {
			return 0, bad
		}
		days, text = n, text[dot+1:]
	}
	parts := strings.Split(text, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, bad
	}
	var frac time.Duration
	if len(parts) == 3 {
		sec, f, ok := strings.Cut(parts[2], ".")
		if ok {
			d, err := fraction(f)
			if err != nil {
				return 0, bad
			}
			frac = d
		}
		parts[2] = sec
	}
	limits := []int{23, 59, 59}
	units := []time.Duration{time.Hour, time.Minute, time.Second}
	d := time.Duration(days)*24*time.Hour + frac
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > limits[i] || len(p) > 2 {
			return 0, bad
		}
		d += time.Duration(n) * units[i]
	}
	return sign(neg, d), nil
}

// fraction reads up to seven digits of a second (100 ns ticks).
func fraction(f string) (time.Duration, error) {
	if f == "" || len(f) > 7 {
		return 0, errors.New("bad fraction")
	}
	n, err := strconv.Atoi(f + strings.Repeat("0", 7-len(f)))
	if err != nil || n < 0 {
		return 0, errors.New("bad fraction")
	}
	return time.Duration(n) * 100 * time.Nanosecond, nil
}

func sign(neg bool, d time.Duration) time.Duration {
	if neg {
		return -d
	}
	return d
}
