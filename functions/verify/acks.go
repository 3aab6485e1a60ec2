package verify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"orderctx/functions/verify/check"
)

// maxAckLine bounds one line of an acks file: an acknowledgement names a
// command's few events, far below it.
const maxAckLine = 1 << 20

// ReadAcks reads an acks file: JSON lines, one check.Ack per command the
// command API acknowledged ({"orderId","commandId","version","eventIds"}),
// as a load driver writes them. Blank lines are skipped; a line that does
// not decode, or lacks the order, the command id or the version, is an
// error naming the line. A process killed while writing leaves at most its
// last line incomplete: that line, unterminated, is skipped, since its
// answer was never fully recorded.
func ReadAcks(path string) ([]check.Ack, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []check.Ack
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err != nil { // EOF: an unterminated last line was being written when its writer died
			return out, nil
		}
		if len(line) > maxAckLine {
			return nil, fmt.Errorf("%s:%d: a line longer than %d bytes", path, n, maxAckLine)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a check.Ack
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if a.OrderID == "" || a.CommandID == "" || a.Version < 1 {
			return nil, fmt.Errorf("%s:%d: an acknowledgement needs orderId, commandId and a version of at least 1", path, n)
		}
		out = append(out, a)
	}
}
