// gonet: a Go program under the seccomp supervisor. Go makes its own system
// calls (nonblocking sockets, epoll, connect completed through SO_ERROR), so
// only the supervisor reaches it. It plays the steps given on its command
// line and prints one line per step, for a script to compare:
//
//	dial=HOST:PORT      net.Dial; "dial = ok" or "dial = ERRNO"
//	listen=FILE         listen on 127.0.0.1:0, the port written to FILE
//	accept              accept one connection
//	write=N             write N bytes ('x'); "write = N" or "write = ERRNO"
//	read=N              one read of up to N bytes (5 s deadline); "read = N DATA"
//	readall             read until the end; "readall = N bytes END"
//	close               close the connection
//	files=N             write N single bytes to /dev/null; prints the time per write
//	get=URL,N           N HTTP GETs on one keep-alive client; prints requests per second
//	serve=FILE          an HTTP server on 127.0.0.1:0 (port in FILE) until killed
//	parallel=ADDR,N,K   N goroutines, each K rounds of dial, write 100 bytes, read
//	                    them back, close; "parallel = OK BAD" counts the rounds
//
// Only the standard library: the tests build it with no network.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var names = map[syscall.Errno]string{
	syscall.ECONNREFUSED: "ECONNREFUSED", syscall.ECONNRESET: "ECONNRESET", syscall.EPIPE: "EPIPE",
	syscall.ETIMEDOUT: "ETIMEDOUT", syscall.EHOSTUNREACH: "EHOSTUNREACH", syscall.ENETUNREACH: "ENETUNREACH",
	syscall.ECONNABORTED: "ECONNABORTED", syscall.EAGAIN: "EAGAIN", syscall.EIO: "EIO",
}

func errname(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		if n, ok := names[e]; ok {
			return n
		}
		return fmt.Sprintf("errno %d", int(e))
	}
	if errors.Is(err, io.EOF) {
		return "EOF"
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return "timeout"
	}
	return err.Error()
}

func writePort(file string, l net.Listener) {
	port := l.Addr().(*net.TCPAddr).Port
	os.WriteFile(file+".tmp", []byte(strconv.Itoa(port)+"\n"), 0o644)
	os.Rename(file+".tmp", file)
}

// echoRound: one connection to an echo server, 100 bytes there and back.
func echoRound(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := []byte(strings.Repeat("y", 100))
	if _, err := c.Write(msg); err != nil {
		return false
	}
	_, err = io.ReadFull(c, make([]byte, 100))
	return err == nil
}

func main() {
	var conn net.Conn
	var ln net.Listener
	for _, step := range os.Args[1:] {
		name, arg, _ := strings.Cut(step, "=")
		n, _ := strconv.Atoi(arg)
		switch name {
		case "dial":
			c, err := net.DialTimeout("tcp", arg, 5*time.Second)
			if err != nil {
				fmt.Println("dial =", errname(err))
				continue
			}
			conn = c
			fmt.Println("dial = ok")
		case "listen":
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				fmt.Println("listen =", errname(err))
				os.Exit(3)
			}
			ln = l
			writePort(arg, l)
			fmt.Println("listen = ok")
		case "accept":
			c, err := ln.Accept()
			if err != nil {
				fmt.Println("accept =", errname(err))
				continue
			}
			conn = c
			fmt.Println("accept = ok")
		case "write":
			w, err := conn.Write([]byte(strings.Repeat("x", n)))
			if err != nil {
				fmt.Println("write =", errname(err))
				continue
			}
			fmt.Println("write =", w)
		case "read":
			buf := make([]byte, n)
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			r, err := conn.Read(buf)
			if err != nil {
				fmt.Println("read =", errname(err))
				continue
			}
			fmt.Println("read =", r, string(buf[:r]))
		case "readall":
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			b, err := io.ReadAll(conn)
			end := "eof"
			if err != nil {
				end = errname(err)
			}
			fmt.Println("readall =", len(b), "bytes", end)
		case "close":
			conn.Close()
			fmt.Println("close = ok")
		case "files":
			f, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
			if err != nil {
				os.Exit(3)
			}
			one := []byte{0}
			start := time.Now()
			for i := 0; i < n; i++ {
				f.Write(one)
			}
			fmt.Printf("files = %.3f us per write\n", float64(time.Since(start).Nanoseconds())/1000/float64(n))
			f.Close()
		case "get":
			url, count, _ := strings.Cut(arg, ",")
			k, _ := strconv.Atoi(count)
			client := &http.Client{Timeout: 10 * time.Second}
			start := time.Now()
			for i := 0; i < k; i++ {
				resp, err := client.Get(url)
				if err != nil {
					fmt.Println("get =", errname(err))
					os.Exit(1)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			fmt.Printf("get = %.0f requests per second\n", float64(k)/time.Since(start).Seconds())
		case "parallel":
			parts := strings.Split(arg, ",")
			g, _ := strconv.Atoi(parts[1])
			k, _ := strconv.Atoi(parts[2])
			results := make(chan bool, g*k)
			for i := 0; i < g; i++ {
				go func() {
					for j := 0; j < k; j++ {
						results <- echoRound(parts[0])
					}
				}()
			}
			ok, bad := 0, 0
			for i := 0; i < g*k; i++ {
				if <-results {
					ok++
				} else {
					bad++
				}
			}
			fmt.Println("parallel =", ok, bad)
		case "serve":
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				os.Exit(3)
			}
			writePort(arg, l)
			http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "hello\n")
			}))
		default:
			fmt.Fprintln(os.Stderr, "gonet: unknown step", step)
			os.Exit(2)
		}
	}
}
