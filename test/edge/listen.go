package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"strconv"
)

type boundEdge struct {
	address string
}

// listenEdge binds TCP (HTTP/2) and UDP (QUIC) on one address and port, as Cloudflare's edge serves both on 7844.
// Port 0 picks a port free for both.
func listenEdge(ctx context.Context, reg *registry, certs *certs, address, colo string) (*boundEdge, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("--edge %s: %w", address, err)
	}
	var tcp net.Listener
	var udp *net.UDPConn
	for attempt := 0; ; attempt++ {
		tcp, err = net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, fmt.Errorf("--edge %s (TCP): %w", address, err)
		}
		bound := tcp.Addr().(*net.TCPAddr).Port
		udp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host), Port: bound})
		if err == nil {
			break
		}
		_ = tcp.Close()
		if port != "0" || attempt > 20 {
			return nil, fmt.Errorf("--edge %s (UDP): %w", address, err)
		}
	}
	bound := net.JoinHostPort(host, strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port))
	e := reg.addEdge(bound, colo)
	if err := serveQUIC(ctx, reg, e, udp, certs); err != nil {
		return nil, fmt.Errorf("--edge %s (QUIC): %w", address, err)
	}
	go func() {
		<-ctx.Done()
		_ = tcp.Close()
	}()
	go func() {
		for {
			raw, err := tcp.Accept()
			if err != nil {
				return
			}
			go serveHTTP2(ctx, reg, e, raw, certs)
		}
	}()
	log.Printf("edge %s (%s) listening, TCP and UDP", bound, colo)
	return &boundEdge{address: bound}, nil
}
