package main

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/cloudflare/cloudflared/connection"
	"github.com/cloudflare/cloudflared/tunnelrpc"
	"github.com/cloudflare/cloudflared/tunnelrpc/pogs"
	rpcquic "github.com/cloudflare/cloudflared/tunnelrpc/quic"
)

// filteredUDP drops datagrams of a blocked edge (every peer) or of muted peers, both ways: to cloudflared it looks
// like UDP 7844 filtered by a firewall, or an edge that stopped answering. It hides the UDP socket's batch and
// OOB methods on purpose, so quic-go reads and writes through ReadFrom and WriteTo, where the filter is.
type filteredUDP struct {
	udp   *net.UDPConn
	reg   *registry
	edge  *edge
	mu    sync.Mutex
	muted map[string]bool
}

func (f *filteredUDP) dropped(peer net.Addr) bool {
	f.reg.mu.Lock()
	blocked := f.edge.faults.udpBlocked
	f.reg.mu.Unlock()
	if blocked {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.muted[peer.String()]
}

func (f *filteredUDP) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := f.udp.ReadFrom(p)
		if err != nil || !f.dropped(addr) {
			return n, addr, err
		}
	}
}

func (f *filteredUDP) WriteTo(p []byte, addr net.Addr) (int, error) {
	if f.dropped(addr) {
		return len(p), nil
	}
	return f.udp.WriteTo(p, addr)
}

func (f *filteredUDP) Close() error                       { return f.udp.Close() }
func (f *filteredUDP) LocalAddr() net.Addr                { return f.udp.LocalAddr() }
func (f *filteredUDP) SetDeadline(t time.Time) error      { return f.udp.SetDeadline(t) }
func (f *filteredUDP) SetReadDeadline(t time.Time) error  { return f.udp.SetReadDeadline(t) }
func (f *filteredUDP) SetWriteDeadline(t time.Time) error { return f.udp.SetWriteDeadline(t) }

func (f *filteredUDP) setMuted(peer string, m bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m {
		f.muted[peer] = true
	} else {
		delete(f.muted, peer)
	}
}

func serveQUIC(ctx context.Context, reg *registry, e *edge, udp *net.UDPConn, certs *certs) error {
	filter := &filteredUDP{udp: udp, reg: reg, edge: e, muted: map[string]bool{}}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{certs.leaf}, NextProtos: []string{"argotunnel"}}
	ln, err := quic.Listen(filter, tlsConf, &quic.Config{EnableDatagrams: true, MaxIdleTimeout: 10 * time.Second, KeepAlivePeriod: time.Second, MaxIncomingStreams: 1 << 16})
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	go func() {
		for {
			qc, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go serveQUICConn(ctx, reg, e, qc, filter)
		}
	}()
	return nil
}

type quicTransport struct {
	qc     *quic.Conn
	filter *filteredUDP
}

func serveQUICConn(ctx context.Context, reg *registry, e *edge, qc *quic.Conn, filter *filteredUDP) {
	if qc.ConnectionState().TLS.ServerName == "probe.cftunnel.com" {
		// The start-up pre-checks only want the handshake; let them close.
		<-qc.Context().Done()
		return
	}
	t := &quicTransport{qc: qc, filter: filter}
	c := reg.open(e, "quic", qc.RemoteAddr().String(), t)
	defer reg.closed(c)
	defer filter.setMuted(qc.RemoteAddr().String(), false)
	// cloudflared opens the first stream: the control stream, carrying the registration RPCs.
	stream, err := qc.AcceptStream(ctx)
	if err != nil {
		log.Printf("control stream from %s: %v", c.Peer, err)
		return
	}
	err = tunnelrpc.NewRegistrationServer(&registrationServer{reg: reg, conn: c}).Serve(qc.Context(), stream)
	log.Printf("control stream of %s ended: %v", c.ID, err)
	<-qc.Context().Done()
}

func (t *quicTransport) roundTrip(ctx context.Context, visitor *http.Request) (*visitorResponse, error) {
	s, err := t.qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { s.CancelRead(0); s.CancelWrite(0) })
	meta := []pogs.Metadata{{Key: connection.HTTPMethodKey, Val: visitor.Method}, {Key: connection.HTTPHostKey, Val: visitor.Host}}
	for name, values := range visitor.Header {
		for _, v := range values {
			meta = append(meta, pogs.Metadata{Key: connection.HTTPHeaderKey + ":" + name, Val: v})
		}
	}
	rcs := &rpcquic.RequestClientStream{ReadWriteCloser: s}
	dest := "https://" + visitor.Host + visitor.URL.RequestURI()
	if err := rcs.WriteConnectRequestData(dest, pogs.ConnectionTypeHTTP, meta...); err != nil {
		stop()
		return nil, err
	}
	if visitor.Body != nil {
		_, _ = io.Copy(s, visitor.Body)
	}
	_ = s.Close()
	answer, err := rcs.ReadConnectResponseData()
	if err != nil {
		stop()
		return nil, err
	}
	out := &visitorResponse{status: http.StatusOK, header: http.Header{}, body: &stopOnClose{ReadCloser: io.NopCloser(s), stop: stop}}
	if answer.Error != "" {
		out.fromCloudflared, out.status = true, http.StatusBadGateway
	}
	for _, m := range answer.Metadata {
		switch {
		case m.Key == connection.HTTPStatus:
			if n, err := strconv.Atoi(m.Val); err == nil {
				out.status = n
			}
		case strings.HasPrefix(m.Key, connection.HTTPHeaderKey+":"):
			out.header.Add(strings.TrimPrefix(m.Key, connection.HTTPHeaderKey+":"), m.Val)
		}
	}
	return out, nil
}

type stopOnClose struct {
	io.ReadCloser
	stop func() bool
}

func (s *stopOnClose) Close() error {
	s.stop()
	return s.ReadCloser.Close()
}

func (t *quicTransport) pushConfig(ctx context.Context, version int32, config []byte) (string, error) {
	s, err := t.qc.OpenStreamSync(ctx)
	if err != nil {
		return "", err
	}
	client, err := rpcquic.NewCloudflaredClient(ctx, s, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer client.Close()
	res, err := client.UpdateConfiguration(ctx, version, config)
	if err != nil {
		return "", err
	}
	if res.Err != nil {
		return "", res.Err
	}
	return "version " + strconv.Itoa(int(res.LastAppliedVersion)), nil
}

func (t *quicTransport) closeAbruptly() { _ = t.qc.CloseWithError(0x101, "edge closed the connection") }

func (t *quicTransport) closeGracefully() { _ = t.qc.CloseWithError(0, "") }

func (t *quicTransport) setMuted(m bool) { t.filter.setMuted(t.qc.RemoteAddr().String(), m) }
