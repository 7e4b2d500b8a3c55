package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/cloudflare/cloudflared/connection"
	"github.com/cloudflare/cloudflared/tunnelrpc"
)

// gatedConn stops a connection from answering while muted: reads are held back and writes wait, as an edge that
// hangs would behave (the kernel would still acknowledge on loopback, so this is done above the socket).
type gatedConn struct {
	net.Conn
	mu     sync.Mutex
	cond   *sync.Cond
	muted  bool
	closed bool
}

func newGatedConn(c net.Conn) *gatedConn {
	g := &gatedConn{Conn: c}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gatedConn) wait() {
	g.mu.Lock()
	for g.muted && !g.closed {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

func (g *gatedConn) setMuted(m bool) {
	g.mu.Lock()
	g.muted = m
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *gatedConn) Read(p []byte) (int, error) {
	g.wait()
	n, err := g.Conn.Read(p)
	g.wait()
	return n, err
}

func (g *gatedConn) Write(p []byte) (int, error) {
	g.wait()
	return g.Conn.Write(p)
}

func (g *gatedConn) Close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.cond.Broadcast()
	return g.Conn.Close()
}

// h2Transport is one HTTP/2 tunnel connection: cloudflared dialled in and serves HTTP/2; the edge is the client.
type h2Transport struct {
	gate *gatedConn
	cc   *http2.ClientConn
}

func serveHTTP2(ctx context.Context, reg *registry, e *edge, raw net.Conn, certs *certs) {
	gate := newGatedConn(raw)
	defer gate.Close()
	tlsConn := tls.Server(gate, &tls.Config{Certificates: []tls.Certificate{certs.leaf}, NextProtos: []string{"h2"}})
	hsCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := tlsConn.HandshakeContext(hsCtx)
	cancel()
	if err != nil {
		log.Printf("TLS handshake from %s on %s: %v", raw.RemoteAddr(), e.address, err)
		return
	}
	// The pre-checks dial probe.cftunnel.com only to see that the handshake works.
	if tlsConn.ConnectionState().ServerName == "probe.cftunnel.com" {
		return
	}
	tr := &http2.Transport{}
	// A zero Transport's NewClientConn panics in the vendored x/net unless its connection pool exists.
	tr.CloseIdleConnections()
	cc, err := tr.NewClientConn(tlsConn)
	if err != nil {
		log.Printf("HTTP/2 client on %s: %v", e.address, err)
		return
	}
	t := &h2Transport{gate: gate, cc: cc}
	c := reg.open(e, "http2", raw.RemoteAddr().String(), t)
	defer reg.closed(c)

	connCtx, stop := context.WithCancel(ctx)
	defer stop()
	reqBody, toCloudflared := io.Pipe()
	req, _ := http.NewRequestWithContext(connCtx, http.MethodGet, "https://h2.cftunnel.com/", reqBody)
	req.Header.Set(connection.InternalUpgradeHeader, connection.ControlStreamUpgrade)
	res, err := cc.RoundTrip(req)
	if err != nil {
		log.Printf("control stream to %s: %v", c.Peer, err)
		return
	}
	stream := &pipeStream{r: res.Body, w: toCloudflared}
	err = tunnelrpc.NewRegistrationServer(&registrationServer{reg: reg, conn: c}).Serve(connCtx, stream)
	log.Printf("control stream of %s ended: %v", c.ID, err)
}

// pipeStream joins the control stream's response body (cloudflared to edge) and request body (edge to cloudflared).
type pipeStream struct {
	r io.ReadCloser
	w *io.PipeWriter
}

func (p *pipeStream) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipeStream) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeStream) Close() error {
	_ = p.w.Close()
	return p.r.Close()
}

func (t *h2Transport) roundTrip(ctx context.Context, visitor *http.Request) (*visitorResponse, error) {
	req := visitor.Clone(ctx)
	req.RequestURI = ""
	req.URL.Scheme, req.URL.Host = "https", visitor.Host
	// A visitor's "Connection: close" ends the visitor's own connection to the edge, not the tunnel connection:
	// forwarded as is, x/net's ClientConn marks the tunnel connection do-not-reuse and every later visitor on it
	// gets "http2: client conn not usable".
	req.Close = false
	req.Header.Del("Connection")
	res, err := t.cc.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	out := &visitorResponse{status: res.StatusCode, header: http.Header{}, body: res.Body, fromCloudflared: strings.Contains(res.Header.Get(connection.ResponseMetaHeader), `"src":"cloudflared"`)}
	user, err := connection.DeserializeHeaders(res.Header.Get(connection.ResponseUserHeaders))
	if err != nil {
		res.Body.Close()
		return nil, err
	}
	for _, h := range user {
		out.header.Add(h.Name, h.Value)
	}
	return out, nil
}

func (t *h2Transport) pushConfig(ctx context.Context, version int32, config []byte) (string, error) {
	body, err := json.Marshal(connection.ConfigurationUpdateBody{Version: version, Config: config})
	if err != nil {
		return "", err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "https://h2.cftunnel.com/", bytes.NewReader(body))
	req.Header.Set(connection.InternalUpgradeHeader, connection.ConfigurationUpdate)
	res, err := t.cc.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	return string(answer), err
}

func (t *h2Transport) closeAbruptly() { _ = t.gate.Close() }

// closeGracefully sends GOAWAY, as the edge does before a restart, then closes: GOAWAY alone changes nothing in
// cloudflared until the connection ends.
func (t *h2Transport) closeGracefully() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = t.cc.Shutdown(ctx)
		_ = t.gate.Close()
	}()
}

func (t *h2Transport) setMuted(m bool) { t.gate.setMuted(m) }
