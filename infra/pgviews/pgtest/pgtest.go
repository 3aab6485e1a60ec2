// Package pgtest runs the PostgreSQL server that tests of the PostgreSQL
// copy need: the first test that asks starts one for the whole test binary
// (initdb into a temporary directory, then the server on 127.0.0.1 at a free
// port), and each test gets a database of its own on it. The binaries come
// from PATH or from Debian's /usr/lib/postgresql/<version>/bin (`apt-get
// install postgresql`). PostgreSQL refuses to run as root, so under root
// both run as the `postgres` user the package creates, owning the directory.
//
// Without the binaries a test is skipped with a message saying so, except
// when CI=true: CI installs PostgreSQL, so there it fails instead.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTimeout bounds the server's start, initdb included.
const startTimeout = 60 * time.Second

// server is the PostgreSQL server of this test binary.
type server struct {
	dir  string
	port int
	cmd  *exec.Cmd
	exit chan error
	logs *strings.Builder
}

var (
	once      sync.Once
	shared    *server
	startErr  error
	skipWhy   string
	databases atomic.Int64
)

// Main runs a package's tests and then stops the server, if one started,
// and removes its files: call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	os.Exit(code)
}

// Optional is DSN for a test that runs with or without PostgreSQL: "" when
// PostgreSQL is not installed (except under CI=true, where that fails tb).
func Optional(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { shared, skipWhy, startErr = start() })
	if skipWhy != "" && os.Getenv("CI") != "true" {
		tb.Logf("without the PostgreSQL copy: %s", skipWhy)
		return ""
	}
	return DSN(tb)
}

// DSN returns the connection string of a new, empty database for tb.
func DSN(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { shared, skipWhy, startErr = start() })
	switch {
	case skipWhy != "" && os.Getenv("CI") == "true":
		tb.Fatalf("PostgreSQL is required in CI: %s", skipWhy)
	case skipWhy != "":
		tb.Skip(skipWhy)
	case startErr != nil:
		tb.Fatalf("PostgreSQL did not start: %v", startErr)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), databases.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, shared.dsn("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	return shared.dsn(name)
}

func (s *server) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// binaries finds initdb and postgres; why says what is missing.
func binaries() (initdb, postgres, why string) {
	if i, err := exec.LookPath("initdb"); err == nil {
		if p, err := exec.LookPath("postgres"); err == nil {
			return i, p, ""
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "postgres")
		if isFile(i) && isFile(p) {
			return i, p, ""
		}
	}
	return "", "", "PostgreSQL is not installed (no initdb and postgres in PATH or /usr/lib/postgresql/*/bin); " +
		"install it (apt-get install postgresql) to run the tests of the PostgreSQL copy"
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// start runs initdb and the server; skip is set when there is nothing to run.
func start() (*server, string, error) {
	initdb, postgres, why := binaries()
	if why != "" {
		return nil, why, nil
	}
	cred, err := credential()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "orderctx-pg-")
	if err != nil {
		return nil, "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, "", err
		}
	}
	data := filepath.Join(dir, "data")
	init := exec.Command(initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := init.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	var lastErr error
	for range 3 { // a free port can be taken between choosing and binding it
		s := &server{dir: dir, logs: &strings.Builder{}}
		if lastErr = s.run(postgres, cred); lastErr == nil {
			return s, "", nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, "", lastErr
}

// credential is the postgres user's when running as root (PostgreSQL
// refuses root), else nil.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the user postgres (the Debian package creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// run starts the server on a free port and waits until it accepts connections.
func (s *server) run(postgres string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	s.cmd = exec.Command(postgres, "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir,
		// A test server: durability is not what these tests are about.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	// SIGQUIT (immediate shutdown) reaches the server if this process dies
	// without stopping it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.exit = make(chan error, 1)
	go func() { s.exit <- s.cmd.Wait() }()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.dsn("postgres"))
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return nil
		}
		select {
		case werr := <-s.exit:
			return fmt.Errorf("postgres exited (%v): %s", werr, s.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.cmd.Process.Kill()
			return fmt.Errorf("postgres did not accept connections within %v: %v", startTimeout, err)
		}
	}
}

// stop shuts the server down (fast shutdown) and removes its files.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exit:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exit
	}
	_ = os.RemoveAll(s.dir)
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
