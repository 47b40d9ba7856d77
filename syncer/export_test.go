package syncer

// Sending reports whether the send-only engine runs.
func (r *Runner) Sending() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopSend != nil
}

// Serving reports whether Serve has begun (and started the send-only
// engine, if it would).
func (r *Runner) Serving() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ctx != nil
}

// SendEnded is closed once the send-only engine running now has stopped
// (nil when none runs).
func (r *Runner) SendEnded() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sendEnded
}

// StartLocked starts the send-only engine as the end of a session does.
func (r *Runner) StartLocked() { r.startLocked() }
