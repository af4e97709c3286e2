package child

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestChildOutlivesRetiredThreads: goroutines that lock a thread and return end that
// thread; a child started by Start must survive them.
func TestChildOutlivesRetiredThreads(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	done, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			runtime.LockOSThread() // returning locked retires the thread
			time.Sleep(10 * time.Millisecond)
		})
	}
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the child died with a retired thread: %v", err)
	default:
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the child is gone: %v", err)
	}
}

func TestStartReportsFailure(t *testing.T) {
	if _, err := Start(exec.Command("/nonexistent/binary")); err == nil {
		t.Fatal("Start of a missing binary succeeded")
	}
}

func TestWaitResult(t *testing.T) {
	done, err := Start(exec.Command("sh", "-c", "exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	err = <-done
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("wait = %v, want exit status 3", err)
	}
	if _, open := <-done; open {
		t.Fatal("done not closed after the result")
	}
}
