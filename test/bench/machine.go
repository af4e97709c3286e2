package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// ParseCPUInfo returns the first "model name" of a /proc/cpuinfo, or "unknown CPU".
func ParseCPUInfo(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

// ParseMemTotal returns MemTotal of a /proc/meminfo, in bytes.
func ParseMemTotal(data []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		value, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, ok := strings.CutSuffix(strings.TrimSpace(value), " kB")
		n, err := strconv.ParseInt(strings.TrimSpace(kb), 10, 64)
		if !ok || err != nil {
			return 0, fmt.Errorf("meminfo: MemTotal %q is not a size in kB", strings.TrimSpace(value))
		}
		return n * 1024, nil
	}
	return 0, fmt.Errorf("meminfo: no MemTotal line")
}

// ReadMachine describes this machine from /proc/cpuinfo and /proc/meminfo; the cores
// are those the Go runtime may use.
func ReadMachine() (Machine, error) {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return Machine{}, err
	}
	meminfo, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return Machine{}, err
	}
	mem, err := ParseMemTotal(meminfo)
	if err != nil {
		return Machine{}, err
	}
	return Machine{CPU: ParseCPUInfo(cpuinfo), Cores: runtime.NumCPU(), MemBytes: mem}, nil
}
