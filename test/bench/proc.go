package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the times in /proc/<pid>/stat: USER_HZ, 100 on every Linux
// architecture Go supports (the kernel converts to it whatever its own HZ is).
const userHZ = 100

// maxTicks bounds a tick count so that the sum of two still fits a time.Duration: it is
// about 350 years of CPU.
const maxTicks = 1 << 40

// ParseProcStat returns the user plus system CPU time in the contents of a
// /proc/<pid>/stat file (fields 14 utime and 15 stime, in USER_HZ ticks). The command
// name in field 2 may hold spaces and parentheses, so fields are counted from the last
// ")".
func ParseProcStat(data []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, fmt.Errorf("proc stat %.40q: no command name in parentheses", data)
	}
	// fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and [12].
	fields := strings.Fields(string(data[end+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("proc stat %.40q: %d fields after the command name, want at least 13", data, len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 || n > maxTicks {
			return 0, fmt.Errorf("proc stat %.40q: CPU time %q is not a tick count", data, f)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// ProcessCPU returns the CPU time (user plus system) process pid has used so far.
func ProcessCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	d, err := ParseProcStat(data)
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	return d, nil
}

// ParseProcStatus returns the fields of a /proc/<pid>/status file that are sizes in kB
// (VmRSS, VmHWM, …), in bytes. Other lines are skipped.
func ParseProcStatus(data []byte) (map[string]int64, error) {
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(value)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("proc status: %s: %q is not a size in kB", key, fields[0])
		}
		out[key] = n * 1024
	}
	return out, sc.Err()
}

// ProcessStatus returns the sizes in /proc/<pid>/status of process pid now, in bytes,
// as ParseProcStatus reads them.
func ProcessStatus(pid int) (map[string]int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	status, err := ParseProcStatus(data)
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	return status, nil
}

// ProcessRSS returns the resident set size of process pid now (VmRSS), in bytes.
func ProcessRSS(pid int) (int64, error) {
	status, err := ProcessStatus(pid)
	if err != nil {
		return 0, err
	}
	rss, ok := status["VmRSS"]
	if !ok {
		return 0, fmt.Errorf("process %d: no VmRSS in /proc/%d/status (a zombie?)", pid, pid)
	}
	return rss, nil
}
