package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"
)

type visitorResponse struct {
	status          int
	header          http.Header
	body            io.ReadCloser
	fromCloudflared bool // cloudflared answered itself (its origin request failed), not the origin
}

// visitorProxy is the public side: a visitor's request goes to a registered connection through the tunnel and the
// answer comes back as Cloudflare gives it, including its own error pages (530/1033 with no connector, 502 when
// cloudflared could not reach the origin, 524 when the connector never answered).
type visitorProxy struct {
	reg     *registry
	timeout time.Duration
}

func (p *visitorProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := p.reg.pick()
	ray := newRay()
	colo := "LAX"
	if c != nil {
		// A Ray id ends with the colo's airport code: lax01 answers as LAX.
		colo = strings.ToUpper(strings.TrimRight(c.Colo, "0123456789"))
	}
	w.Header().Set("Server", "cloudflare")
	w.Header().Set("Cf-Ray", ray+"-"+colo)
	if c == nil {
		log.Printf("visitor %s %s%s: no connector (1033)", r.Method, r.Host, r.URL.Path)
		cloudflareError(w, 530, 1033, "Argo Tunnel error")
		return
	}
	r.Header.Set("Cf-Ray", ray+"-"+colo)
	r.Header.Set("Cf-Connecting-Ip", strings.Split(r.RemoteAddr, ":")[0])
	r.Header.Set("X-Forwarded-Proto", "https")
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout)
	defer cancel()
	res, err := c.tr.roundTrip(ctx, r)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (err != nil && ctx.Err() != nil):
		log.Printf("visitor %s %s%s via %s: timed out", r.Method, r.Host, r.URL.Path, c.ID)
		cloudflareError(w, 524, 524, "A timeout occurred")
		return
	case err != nil:
		log.Printf("visitor %s %s%s via %s: %v", r.Method, r.Host, r.URL.Path, c.ID, err)
		cloudflareError(w, 502, 502, "Bad gateway")
		return
	}
	defer res.body.Close()
	if res.fromCloudflared {
		log.Printf("visitor %s %s%s via %s: cloudflared answered %d", r.Method, r.Host, r.URL.Path, c.ID, res.status)
		cloudflareError(w, res.status, res.status, "Bad gateway")
		return
	}
	for name, values := range res.header {
		if strings.EqualFold(name, "Server") {
			continue // Cloudflare answers as itself
		}
		for _, v := range values {
			w.Header().Add(name, v)
		}
	}
	w.WriteHeader(res.status)
	_, _ = io.Copy(w, res.body)
}

func cloudflareError(w http.ResponseWriter, status, code int, title string) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "error code: %d\n%s\n", code, title)
}

func newRay() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
