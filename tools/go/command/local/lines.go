package local

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"
)

// releasedLineLimit is how many bytes of one line the released plugin's
// output logging can hold: it reads the logged output with a bufio.Scanner
// and its default buffer, bufio.MaxScanTokenSize (64 KiB), which must hold the
// line and its newline. A line of 65535 bytes + "\n" is read; at a line of
// 65536 bytes without a newline the scanner gives up (bufio.ErrTooLong).
const releasedLineLimit = bufio.MaxScanTokenSize

// stream names one of the command's output streams.
type stream uint8

const (
	streamStdout stream = 1 << iota
	streamStderr
)

func (s stream) String() string {
	switch s {
	case streamStdout:
		return "stdout"
	case streamStderr:
		return "stderr"
	}
	return "stdout and stderr (interleaved)"
}

// lineLog logs the command's output line by line the way the released
// plugin does, and finds where the released plugin would hang.
//
// The released plugin writes every logged stream (stdout and/or stderr, as
// `logging` says) into one pipe, read by a single bufio.Scanner whose lines
// become status messages (InfoStatus). Lines are therefore split on "\n" in
// the interleaved bytes of both streams, a trailing "\r" is dropped, and a
// last line without "\n" is logged at the end. When a line reaches 65536
// bytes without a newline, the scanner stops for good: nothing more is
// logged, and the next byte written to the pipe (from either logged stream)
// blocks forever, so the command's output copying never finishes and the
// released plugin never returns. A line of exactly 65536 bytes at the very
// end of the output blocks nothing (it is just not logged).
//
// Here, that next byte marks the operation as one that would hang: lineLog
// records the offending line (its start, and its length, measured up to its
// newline while the command still runs), calls onHang once, and onLineEnd
// once that line's newline has been seen.
type lineLog struct {
	mu      sync.Mutex
	log     func(string)
	onHang  func()
	onEnd   func()
	line    []byte // the current line, at most releasedLineLimit bytes
	streams stream // streams that wrote to the current line
	hang    *hangInfo
}

// hangInfo describes the line on which the released plugin would hang.
type hangInfo struct {
	length   int  // bytes of the line without its newline, so far
	complete bool // its newline (or the end of the output) was seen
	prefix   []byte
	streams  stream
}

func newLineLog(log func(string), onHang, onLineEnd func()) *lineLog {
	return &lineLog{log: log, onHang: onHang, onEnd: onLineEnd, line: make([]byte, 0, 4096)}
}

func dropCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// write takes bytes of one logged stream, in the order they were read.
func (l *lineLog) write(s stream, p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(p) > 0 {
		if h := l.hang; h != nil {
			// Measure the rest of the offending line; log nothing more.
			if h.complete {
				return
			}
			if i := bytes.IndexByte(p, '\n'); i >= 0 {
				h.length += i
				h.complete = true
				l.onEnd()
			} else {
				h.length += len(p)
			}
			h.streams |= s
			return
		}
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		l.streams |= s
		if n := len(l.line) + len(seg); n > releasedLineLimit || (i >= 0 && n == releasedLineLimit) {
			// The scanner holds 65536 bytes without a newline and gives
			// up; this byte (or the newline) would block forever.
			prefix := append([]byte{}, l.line[:min(len(l.line), 100)]...)
			if len(prefix) < 100 {
				prefix = append(prefix, seg[:min(len(seg), 100-len(prefix))]...)
			}
			l.hang = &hangInfo{length: n, complete: i >= 0, prefix: prefix, streams: l.streams}
			l.line = nil
			l.onHang()
			if i >= 0 {
				l.onEnd()
			}
			return
		}
		l.line = append(l.line, seg...)
		if i < 0 {
			return
		}
		l.log(string(dropCR(l.line)))
		l.line = l.line[:0]
		l.streams = 0
		p = p[i+1:]
	}
}

// close is called at the end of the output (eof) or when reading was
// stopped. At the end, it logs the last line if it has no newline (as the
// scanner does at the end of its input), unless it filled the scanner's
// buffer.
func (l *lineLog) close(eof bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.hang; h != nil {
		h.complete = h.complete || eof
		return
	}
	if len(l.line) > 0 && len(l.line) < releasedLineLimit {
		l.log(string(dropCR(l.line)))
	}
	l.line = nil
}

// hangError is the error for an operation on which the released plugin
// would hang.
func (l *lineLog) hangError(command string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hang
	if h == nil {
		return nil
	}
	length := strconv.Itoa(h.length) + " bytes"
	if !h.complete {
		length = "at least " + length + " (no newline within 1 s; the command was killed before it ended)"
	}
	// The start of the line, cut at a character boundary.
	prefix := h.prefix
	for len(prefix) > 0 && !utf8.Valid(prefix) {
		prefix = prefix[:len(prefix)-1]
	}
	return fmt.Errorf("the released pulumi-command v1.2.1 would hang on this command, so it was killed: "+
		"a line of its logged %s is %s long (without its newline), starting %q. "+
		"That plugin logs the command's output with a bufio.Scanner that reads lines of at most %d bytes "+
		"including the newline (bufio.MaxScanTokenSize); at a longer line it stops reading, the rest of "+
		"the output blocks, and the step never finishes. Print shorter lines (e.g. write big data to a "+
		"file), or leave this stream out of `logging`: running %q",
		h.streams, length, string(prefix)+"...", releasedLineLimit, command)
}
