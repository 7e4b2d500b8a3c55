package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/cloudflare/cloudflared/tunnelrpc/pogs"
)

// transport is what one tunnel connection can be asked to do, whatever carries it (QUIC or HTTP/2).
type transport interface {
	roundTrip(ctx context.Context, req *http.Request) (*visitorResponse, error)
	pushConfig(ctx context.Context, version int32, config []byte) (string, error)
	closeAbruptly()
	closeGracefully()
	setMuted(muted bool)
}

// edgeFaults are the faults of one edge address.
type edgeFaults struct {
	refuseUntil   time.Time // zero: not refusing; far future: until lifted
	refuseCause   string
	refuseRetry   time.Duration
	registerDelay time.Duration
	udpBlocked    bool
}

type edge struct {
	address string
	colo    string
	faults  edgeFaults
}

// conn is one tunnel connection as the edge holds it.
type conn struct {
	ID              uuid.UUID `json:"id"`
	Protocol        string    `json:"protocol"`
	Edge            string    `json:"edge"`
	Colo            string    `json:"colo"`
	Peer            string    `json:"peer"`
	OpenedAt        time.Time `json:"openedAt"`
	Registered      bool      `json:"registered"`
	ConnIndex       int       `json:"connIndex"`
	TunnelID        string    `json:"tunnelId,omitempty"`
	AccountTag      string    `json:"accountTag,omitempty"`
	ConnectorID     string    `json:"connectorId,omitempty"`
	Version         string    `json:"version,omitempty"`
	Arch            string    `json:"arch,omitempty"`
	Features        []string  `json:"features,omitempty"`
	RemotelyManaged bool      `json:"remotelyManaged"`
	ConfigVersion   int32     `json:"configVersion"`
	Muted           bool      `json:"muted"`
	Unregistered    bool      `json:"unregistered"`

	edge *edge
	tr   transport
}

type remoteConfig struct {
	Version int32           `json:"version"`
	Config  json.RawMessage `json:"config"`
}

// registry holds every edge, connection, fault and configuration; one mutex guards it all (the edge is small).
type registry struct {
	mu          sync.Mutex
	edges       []*edge
	conns       map[uuid.UUID]*conn
	remote      map[string]remoteConfig    // tunnel id -> configuration pushed by the admin API or the API emulator
	localConfig map[string]json.RawMessage // tunnel id -> what cloudflared reported (UpdateLocalConfiguration)
	api         *apiClient
	next        int
	unregisters sync.WaitGroup // API calls of closed connections, which closeAll waits for
}

func newRegistry(api *apiClient) *registry {
	return &registry{conns: map[uuid.UUID]*conn{}, remote: map[string]remoteConfig{}, localConfig: map[string]json.RawMessage{}, api: api}
}

func (r *registry) addEdge(address, colo string) *edge {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := &edge{address: address, colo: colo}
	r.edges = append(r.edges, e)
	return e
}

func (r *registry) open(e *edge, protocol, peer string, tr transport) *conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &conn{ID: uuid.New(), Protocol: protocol, Edge: e.address, Colo: e.colo, Peer: peer, OpenedAt: time.Now().UTC(), ConfigVersion: -1, edge: e, tr: tr}
	r.conns[c.ID] = c
	log.Printf("%s connection %s from %s on %s (%s)", protocol, c.ID, peer, e.address, e.colo)
	return c
}

// closed forgets a connection; one still registered was lost (the connector will reconnect), not unregistered.
func (r *registry) closed(c *conn) {
	r.mu.Lock()
	_, held := r.conns[c.ID]
	delete(r.conns, c.ID)
	lost := held && c.Registered && !c.Unregistered
	tunnel, connector := c.TunnelID, c.ConnectorID
	if lost {
		r.unregisters.Add(1)
	}
	r.mu.Unlock()
	if !held {
		return
	}
	log.Printf("%s connection %s closed (registered=%t unregistered=%t)", c.Protocol, c.ID, c.Registered, c.Unregistered)
	if lost {
		r.api.unregister(tunnel, connector, c.ID.String(), true)
		r.unregisters.Done()
	}
}

func (r *registry) snapshot() []conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]conn, 0, len(r.conns))
	for _, c := range r.conns {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OpenedAt.Before(out[j].OpenedAt) })
	return out
}

// pick returns a registered connection for a visitor of `host`, round robin (Cloudflare picks any connection of
// the tunnel, whether or not it can still serve: that is what the mute fault shows).
func (r *registry) pick() *conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	var live []*conn
	for _, c := range r.conns {
		if c.Registered && !c.Unregistered {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return nil
	}
	sort.Slice(live, func(i, j int) bool { return live[i].OpenedAt.Before(live[j].OpenedAt) })
	r.next++
	return live[r.next%len(live)]
}

// registrationServer answers cloudflared's registration RPCs for one transport connection.
type registrationServer struct {
	reg  *registry
	conn *conn
}

var errNoRegistration = errors.New("UnregisterConnection before RegisterConnection")

// holdWhileSlow holds a registration for the edge's current delay (the `slow` fault), counted from its arrival. The
// delay is read again while holding, so an edge that answers again (slow back to 0) answers the registrations it
// was holding, as a recovered edge does, instead of keeping each for the delay it had when it arrived.
func (s *registrationServer) holdWhileSlow(ctx context.Context) error {
	arrived := time.Now()
	for {
		s.reg.mu.Lock()
		delay := s.conn.edge.faults.registerDelay
		s.reg.mu.Unlock()
		left := delay - time.Since(arrived)
		if left <= 0 {
			return nil
		}
		select {
		case <-time.After(min(left, 50*time.Millisecond)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *registrationServer) RegisterConnection(ctx context.Context, auth pogs.TunnelAuth, tunnelID uuid.UUID, connIndex byte, options *pogs.ConnectionOptions) (*pogs.ConnectionDetails, error) {
	r, c := s.reg, s.conn
	if err := s.holdWhileSlow(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	f := c.edge.faults
	r.mu.Unlock()
	if time.Now().Before(f.refuseUntil) {
		log.Printf("refusing registration of connIndex %d on %s: %s", connIndex, c.Edge, f.refuseCause)
		err := errors.New(f.refuseCause)
		if f.refuseRetry > 0 {
			return nil, pogs.RetryErrorAfter(err, f.refuseRetry)
		}
		return nil, err
	}
	connectorID := ""
	if id, err := uuid.FromBytes(options.Client.ClientID); err == nil {
		connectorID = id.String()
	}
	if err := r.api.register(c, auth, tunnelID.String(), connectorID, int(connIndex), options); err != nil {
		log.Printf("API refused connIndex %d: %v", connIndex, err)
		return nil, err
	}
	remote, managed := r.remoteFor(tunnelID.String())
	r.mu.Lock()
	c.Registered, c.ConnIndex, c.TunnelID, c.AccountTag, c.ConnectorID = true, int(connIndex), tunnelID.String(), auth.AccountTag, connectorID
	c.Version, c.Arch, c.Features, c.RemotelyManaged = options.Client.Version, options.Client.Arch, options.Client.Features, managed
	_, held := r.conns[c.ID]
	r.mu.Unlock()
	if !held || ctx.Err() != nil {
		// cloudflared gave up waiting (its registration timeout) and the connection is gone: the API accepted a
		// registration nobody holds, and would refuse the slot's next one as a duplicate.
		r.api.unregister(tunnelID.String(), connectorID, c.ID.String(), true)
		return nil, errors.New("connection closed during registration")
	}
	log.Printf("registered connIndex %d of tunnel %s (connector %s, cloudflared %s) as %s at %s", connIndex, tunnelID, connectorID, options.Client.Version, c.ID, c.Colo)
	if managed {
		// cloudflared takes configuration only once the registration answer is in.
		go func() {
			time.Sleep(100 * time.Millisecond)
			r.push(c, remote)
		}()
	}
	return &pogs.ConnectionDetails{UUID: c.ID, Location: c.Colo, TunnelIsRemotelyManaged: managed}, nil
}

func (s *registrationServer) UnregisterConnection(ctx context.Context) {
	r, c := s.reg, s.conn
	r.mu.Lock()
	registered := c.Registered
	c.Unregistered = true
	r.mu.Unlock()
	if !registered {
		log.Print(errNoRegistration)
		return
	}
	log.Printf("connIndex %d (%s) unregistered", c.ConnIndex, c.ID)
	r.api.unregister(c.TunnelID, c.ConnectorID, c.ID.String(), false)
}

func (s *registrationServer) UpdateLocalConfiguration(ctx context.Context, config []byte) error {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	s.reg.localConfig[s.conn.TunnelID] = append(json.RawMessage(nil), config...)
	log.Printf("local configuration of tunnel %s: %d bytes", s.conn.TunnelID, len(config))
	return nil
}

// remoteFor is the configuration the edge holds for a tunnel: set through the admin API, or the API emulator's.
func (r *registry) remoteFor(tunnelID string) (remoteConfig, bool) {
	if fromAPI, ok := r.api.remoteConfig(tunnelID); ok {
		r.mu.Lock()
		r.remote[tunnelID] = fromAPI
		r.mu.Unlock()
		return fromAPI, true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rc, ok := r.remote[tunnelID]
	return rc, ok
}

// push sends a configuration version to one connection and records what cloudflared answered.
func (r *registry) push(c *conn, rc remoteConfig) pushResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	answer, err := c.tr.pushConfig(ctx, rc.Version, rc.Config)
	res := pushResult{Conn: c.ID.String(), Answer: answer}
	if err != nil {
		res.Error = err.Error()
		log.Printf("config version %d to %s failed: %v", rc.Version, c.ID, err)
		return res
	}
	r.mu.Lock()
	c.ConfigVersion = rc.Version
	r.mu.Unlock()
	log.Printf("config version %d pushed to %s: %s", rc.Version, c.ID, answer)
	return res
}

type pushResult struct {
	Conn   string `json:"conn"`
	Answer string `json:"answer,omitempty"`
	Error  string `json:"error,omitempty"`
}

// pushAll stores a tunnel's configuration and sends it to each of its registered connections.
func (r *registry) pushAll(tunnelID string, rc remoteConfig) []pushResult {
	r.mu.Lock()
	r.remote[tunnelID] = rc
	var targets []*conn
	for _, c := range r.conns {
		if c.Registered && !c.Unregistered && (tunnelID == "" || c.TunnelID == tunnelID) {
			targets = append(targets, c)
		}
	}
	r.mu.Unlock()
	results := []pushResult{}
	for _, c := range targets {
		results = append(results, r.push(c, rc))
	}
	return results
}

// followRemoteConfig pushes every new version the API emulator holds to the tunnels connected here, as the
// edge does after a dashboard change.
func (r *registry) followRemoteConfig(ctx context.Context) {
	if r.api == nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, tunnel := range r.tunnels() {
			rc, ok := r.api.remoteConfig(tunnel)
			r.mu.Lock()
			known, had := r.remote[tunnel]
			r.mu.Unlock()
			if ok && (!had || rc.Version > known.Version) {
				r.pushAll(tunnel, rc)
			}
		}
	}
}

func (r *registry) tunnels() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, c := range r.conns {
		if c.Registered && !seen[c.TunnelID] {
			seen[c.TunnelID] = true
			out = append(out, c.TunnelID)
		}
	}
	return out
}

// closeAll drops every connection as an edge going away does, and returns once the API has been told of each
// (the process exits right after, and the API must not keep listing connections this edge no longer holds).
func (r *registry) closeAll() {
	r.mu.Lock()
	var all []*conn
	for _, c := range r.conns {
		all = append(all, c)
	}
	r.mu.Unlock()
	for _, c := range all {
		c.tr.closeAbruptly()
		r.closed(c)
	}
	r.unregisters.Wait()
}
