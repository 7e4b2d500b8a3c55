// The loopback edge: a small Cloudflare edge on loopback that the real cloudflared connects to, registers with,
// takes visitor requests and remote configuration from, over QUIC and HTTP/2, with faults on demand. It is a test
// fixture, built inside a copy of cloudflared's source tree (scripts/build-real-connector.sh) so that it speaks the
// protocol with cloudflared's own packages: tunnelrpc (registration), tunnelrpc/quic (per-request streams and the
// configuration RPC) and connection (header names and serialization).
//
//	loopback-edge --ca-dir DIR --edge 127.0.0.1:0=lax01 [--edge 127.0.0.2:0=ams01 ...] [--public ADDR] [--admin ADDR]
//	              [--api http://127.0.0.1:P] [--ready-file FILE]
//
// Once every listener is bound it prints one JSON line (and writes it to --ready-file): the edge addresses with
// their colos, the public and admin addresses and the CA file to give cloudflared as --cacert.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type edgeFlags []string

func (e *edgeFlags) String() string     { return strings.Join(*e, ",") }
func (e *edgeFlags) Set(v string) error { *e = append(*e, v); return nil }

// readyInfo is what tests read to point cloudflared and visitors at this edge.
type readyInfo struct {
	Edges  []edgeInfo `json:"edges"`
	Public string     `json:"public"`
	Admin  string     `json:"admin"`
	CACert string     `json:"caCert"`
	Pid    int        `json:"pid"`
}

type edgeInfo struct {
	Address string `json:"address"`
	Colo    string `json:"colo"`
}

func main() {
	var edges edgeFlags
	caDir := flag.String("ca-dir", "", "directory holding the CA (created on first start, reused after: cloudflared loads --cacert once)")
	public := flag.String("public", "127.0.0.1:0", "visitor listener (plain HTTP, routed by Host)")
	admin := flag.String("admin", "127.0.0.1:0", "admin API listener")
	api := flag.String("api", "", "Cloudflare API emulator base URL to register connections with (optional)")
	readyFile := flag.String("ready-file", "", "file to write the ready JSON to")
	visitorTimeout := flag.Duration("visitor-timeout", 10*time.Second, "how long a visitor request may wait for the connector (524 after)")
	flag.Var(&edges, "edge", "ADDRESS=COLO an edge listens on, TCP (HTTP/2) and UDP (QUIC) on one port; repeatable")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("loopback-edge ")
	if *caDir == "" || len(edges) == 0 {
		fmt.Fprintln(os.Stderr, "usage: loopback-edge --ca-dir DIR --edge ADDRESS=COLO [--edge ...] [--public ADDR] [--admin ADDR] [--api URL] [--ready-file FILE]")
		os.Exit(2)
	}
	if err := run(*caDir, edges, *public, *admin, *api, *readyFile, *visitorTimeout); err != nil {
		log.Printf("fatal: %v", err)
		os.Exit(1)
	}
}

func run(caDir string, edges []string, publicAddr, adminAddr, api, readyFile string, visitorTimeout time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	certs, err := loadCerts(caDir)
	if err != nil {
		return err
	}
	reg := newRegistry(newAPIClient(api))
	info := readyInfo{CACert: certs.caFile, Pid: os.Getpid()}
	for _, spec := range edges {
		addr, colo, ok := strings.Cut(spec, "=")
		if !ok || colo == "" {
			return fmt.Errorf("--edge %q: expected ADDRESS=COLO, e.g. 127.0.0.1:0=lax01", spec)
		}
		e, err := listenEdge(ctx, reg, certs, addr, colo)
		if err != nil {
			return err
		}
		info.Edges = append(info.Edges, edgeInfo{Address: e.address, Colo: colo})
	}

	publicLn, err := net.Listen("tcp", publicAddr)
	if err != nil {
		return fmt.Errorf("public listener %s: %w", publicAddr, err)
	}
	adminLn, err := net.Listen("tcp", adminAddr)
	if err != nil {
		return fmt.Errorf("admin listener %s: %w", adminAddr, err)
	}
	info.Public, info.Admin = publicLn.Addr().String(), adminLn.Addr().String()
	publicSrv := &http.Server{Handler: &visitorProxy{reg: reg, timeout: visitorTimeout}, ReadHeaderTimeout: 5 * time.Second}
	adminSrv := &http.Server{Handler: adminHandler(reg), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = publicSrv.Serve(publicLn) }()
	go func() { _ = adminSrv.Serve(adminLn) }()
	go reg.followRemoteConfig(ctx)

	ready, _ := json.Marshal(info)
	if readyFile != "" {
		if err := os.WriteFile(readyFile+".tmp", ready, 0o644); err != nil {
			return err
		}
		if err := os.Rename(readyFile+".tmp", readyFile); err != nil {
			return err
		}
	}
	fmt.Println(string(ready))

	<-ctx.Done()
	log.Printf("stopping")
	reg.closeAll()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = publicSrv.Shutdown(shutdownCtx)
	_ = adminSrv.Shutdown(shutdownCtx)
	return nil
}
