package ui

import (
	"strings"
	"testing"
	"time"
)

// Issue 14: a queue test hung. Typing in the patient field schedules a
// search for when typing pauses (an hour in tests), and the queue's
// reload, whose result cancels that search, was held until nothing was in
// flight: wait waited for the search, the search for the reload's result.
// wait applies results as they come, so the cancel runs.
func TestWaitAppliesWhatCancelsScheduledWork(t *testing.T) {
	tk := tasks{hold: true}
	ran := false
	stop := tk.after(time.Hour, func() func() { ran = true; return nil })
	tk.run(func() func() { return stop })
	done := make(chan struct{})
	go func() { tk.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("wait still waits for work its held result cancels")
	}
	if ran {
		t.Fatal("the cancelled work ran")
	}
}

// Work scheduled an hour ahead, with nothing else in flight, fails the
// wait at once and says why, rather than hang the test.
func TestWaitFailsRatherThanHangs(t *testing.T) {
	tk := tasks{hold: true}
	stop := tk.after(time.Hour, func() func() { return nil })
	defer stop()
	failed := make(chan string, 1)
	go func() {
		defer func() { msg, _ := recover().(string); failed <- msg }()
		tk.wait()
	}()
	select {
	case msg := <-failed:
		if !strings.Contains(msg, "call the search at once") {
			t.Fatalf("wait: %q", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("wait waits for work scheduled an hour ahead")
	}
	// Work scheduled soon is waited for.
	ran := false
	tk.after(time.Millisecond, func() func() { return func() { ran = true } })
	stop()
	tk.wait()
	if !ran {
		t.Fatal("wait returned before the work scheduled in a millisecond")
	}
}
