package benchkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ticksPerSecond is USER_HZ, the unit of /proc/<pid>/stat's CPU times on Linux.
const ticksPerSecond = 100

// ProcessCPU is a process's user and system CPU time so far, from
// /proc/<pid>/stat (10 ms resolution).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The fields after the command name (which may hold spaces) start after ')'.
	end := strings.LastIndexByte(string(b), ')')
	if end < 0 || end+2 > len(b) {
		return 0, fmt.Errorf("benchkit: unreadable /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[end+2:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("benchkit: short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}

// SelfCPU is this process's user and system CPU time so far (getrusage):
// the load generator's, when the server runs in another process.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcessName names a process by its executable's base name and first
// argument ("orderctx commandapi"), from /proc/<pid>/cmdline, or "?".
func ProcessName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return "?"
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	name := filepath.Base(args[0])
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		name += " " + args[1]
	}
	return name
}

// ListeningPIDs finds the processes that listen on the given TCP ports of
// this machine: the sockets in LISTEN state from /proc/net/tcp and tcp6,
// then the processes holding them among those whose file descriptors this
// user may read. The answer maps each port found to its process.
func ListeningPIDs(ports []int) (map[int]int, error) {
	inodes := map[string]int{} // socket inode -> port
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if port, inode, ok := listenEntry(line); ok && contains(ports, port) {
				inodes[inode] = port
			}
		}
	}
	out := map[int]int{}
	if len(inodes) == 0 {
		return out, nil
	}
	procs, err := filepath.Glob("/proc/[0-9]*/fd/*")
	if err != nil {
		return nil, err
	}
	for _, fd := range procs {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if port, ok := inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")]; ok {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			out[port] = pid
		}
	}
	return out, nil
}

// listenEntry reads one line of /proc/net/tcp: the local port and the socket
// inode of a socket in LISTEN state (0A).
func listenEntry(line string) (port int, inode string, ok bool) {
	f := strings.Fields(line)
	if len(f) < 10 || f[3] != "0A" {
		return 0, "", false
	}
	i := strings.LastIndexByte(f[1], ':')
	p, err := strconv.ParseInt(f[1][i+1:], 16, 32)
	if err != nil {
		return 0, "", false
	}
	return int(p), f[9], true
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
