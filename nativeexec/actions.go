package nativeexec

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// result is how an action ended.
type result struct {
	phase   v1alpha1.ActionPhase
	message string
	outputs *v1alpha1.ActionOutputs
	retries int32
}

// progressFunc records progress of a running action (retries, the Job it created) and notifies.
type progressFunc func(update func(*v1alpha1.ActionStatus))

// permanentError is a failure retrying cannot fix (forbidden, invalid object, a Job deleted on timeout): no retry.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

func permanent(err error) error { return &permanentError{err: err} }

// maxBackoff caps one wait between attempts.
const maxBackoff = 10 * time.Minute

// execute runs an action with its retry policy: attempt, and on a retryable failure wait
// Interval*BackoffFactor^n (with jitter) and try again, up to Retry.Limit retries.
// resumedSince is the recorded start of an action that was running before a restart, nil for a fresh start;
// first is the attempt to start with (the recorded retry count of a resumed action, else 0), so a restart
// neither repeats an attempt's Job nor gives back a retry.
func (e *Engine) execute(ctx context.Context, s *runState, a *translator.Action, resumedSince *metav1.Time, first int32, progress progressFunc) result {
	for attempt := first; ; attempt++ {
		since := resumedSince
		if attempt > first {
			since = nil
		}
		out, err := e.attempt(ctx, s, a, since, attempt, progress)
		if ctx.Err() != nil {
			return result{phase: v1alpha1.ActionCanceled, message: msgCanceled, outputs: out, retries: attempt}
		}
		if err == nil {
			return result{phase: v1alpha1.ActionSucceeded, outputs: out, retries: attempt}
		}
		var perm *permanentError
		if errors.As(err, &perm) || attempt >= a.Retry.Limit {
			msg := err.Error()
			if attempt > 0 {
				msg = fmt.Sprintf("no more retries left after %d attempts: %s", attempt+1, msg)
			}
			return result{phase: v1alpha1.ActionFailed, message: msg, outputs: out, retries: attempt}
		}
		if s.stopsRetries() {
			// FailFast: another action failed for good; a retry would be new work after the failure, and on
			// Argo the held Workflow starts no new attempt either.
			return result{phase: v1alpha1.ActionFailed, message: msgNotRetried + err.Error(), outputs: out, retries: attempt}
		}
		retries := attempt + 1
		progress(func(st *v1alpha1.ActionStatus) {
			st.RetryCount = retries
			st.Message = "retrying: " + err.Error()
		})
		select {
		case <-ctx.Done():
			return result{phase: v1alpha1.ActionCanceled, message: msgCanceled, outputs: out, retries: retries}
		case <-time.After(backoff(a.Retry, attempt)):
		}
		if s.stopsRetries() { // another action failed while this one waited to retry
			return result{phase: v1alpha1.ActionFailed, message: msgNotRetried + err.Error(), outputs: out, retries: attempt}
		}
	}
}

// msgNotRetried starts the message of a retryable failure not retried because the workflow stopped after
// another action's failure (FailFast); the Argo engine words it the same.
const msgNotRetried = "not retried: the workflow stopped after a failure: "

// stopsRetries: under FailFast, no retry starts once an action failed for good (nor after a cancel, which
// ends the attempt through its context anyway).
func (s *runState) stopsRetries() bool {
	if s == nil || s.ir == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stoppedLocked()
}

// backoff is the wait before retry n+1: Interval*BackoffFactor^n, spread by ±10% so that runs retrying
// against the same endpoint do not hit it in lockstep.
func backoff(r translator.Retry, n int32) time.Duration {
	factor := r.BackoffFactor
	if factor < 1 {
		factor = 1
	}
	d := float64(r.Interval) * math.Pow(factor, float64(n))
	d *= 0.9 + 0.2*rand.Float64()
	if d > float64(maxBackoff) || math.IsInf(d, 0) || math.IsNaN(d) {
		return maxBackoff
	}
	return time.Duration(d)
}

// attempt runs one attempt of an action, bounded by its timeout.
func (e *Engine) attempt(ctx context.Context, s *runState, a *translator.Action, resumedSince *metav1.Time, n int32, progress progressFunc) (*v1alpha1.ActionOutputs, error) {
	switch {
	case a.HTTP != nil:
		return e.httpAttempt(ctx, s.serviceAccount, a)
	case a.Resource != nil && a.Resource.WaitFor == translator.WaitJobComplete:
		return e.jobAttempt(ctx, s, a, n, progress)
	case a.Resource != nil:
		return e.resourceAttempt(ctx, s, a, resumedSince)
	}
	return nil, permanent(fmt.Errorf("action %s of type %s has nothing to run", a.Name, a.Type))
}

// withTimeout bounds an attempt; the error it reports names the timeout rather than a bare deadline.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("timed out after %s", d))
}

// timeoutErr puts the attempt's timeout in front of an error caused by it ("timed out after 30s: ..."). An
// error that already ends with the cause (net/http reports context.Cause: "POST <url>: timed out after 2s")
// has it moved to the front, not said twice.
func timeoutErr(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		if text, ok := strings.CutSuffix(err.Error(), ": "+cause.Error()); ok {
			return fmt.Errorf("%v: %w", cause, relabeled{err, text})
		}
		return fmt.Errorf("%v: %w", cause, err)
	}
	return err
}

// relabeled is err with another text; errors.Is and As still see err.
type relabeled struct {
	err  error
	text string
}

func (r relabeled) Error() string { return r.text }
func (r relabeled) Unwrap() error { return r.err }
