package nativeexec

// heldLocked reports whether a paused run holds back: nothing new starts and the run does not end while the
// execution is paused and not canceled (a cancel wins). Actions already running finish and are recorded.
func (s *runState) heldLocked() bool {
	return s.paused && !s.canceled
}
