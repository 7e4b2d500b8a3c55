package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cloudflare/cloudflared/tunnelrpc/pogs"
)

// apiClient feeds the Cloudflare API emulator (src/emulator/edge-protocol.ts): each registration is checked and
// recorded there, so the edge view through the cloudflare SDK lists exactly the connections this edge holds.
// A nil client (no --api) accepts every registration.
type apiClient struct {
	base  string
	http  *http.Client
	mu    sync.Mutex
	runAt map[string]string // connector id -> first registration time, the API's run_at
}

func newAPIClient(base string) *apiClient {
	if base == "" {
		return nil
	}
	return &apiClient{base: base, http: &http.Client{Timeout: 5 * time.Second}, runAt: map[string]string{}}
}

type registerAnswer struct {
	OK        bool   `json:"ok"`
	Error     string `json:"error"`
	Retryable bool   `json:"retryable"`
}

func (a *apiClient) register(c *conn, auth pogs.TunnelAuth, tunnelID, connectorID string, connIndex int, options *pogs.ConnectionOptions) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	runAt, ok := a.runAt[connectorID]
	if !ok {
		runAt = time.Now().UTC().Format(time.RFC3339Nano)
		a.runAt[connectorID] = runAt
	}
	a.mu.Unlock()
	peerIP, _, _ := net.SplitHostPort(c.Peer)
	edgeIP, _, _ := net.SplitHostPort(c.Edge)
	features := options.Client.Features
	if features == nil {
		features = []string{}
	}
	body := map[string]any{
		"accountTag": auth.AccountTag, "tunnelId": tunnelID, "tunnelSecret": base64.StdEncoding.EncodeToString(auth.TunnelSecret),
		"connectorId": connectorID, "connIndex": connIndex, "connectionId": c.ID.String(), "protocol": c.Protocol,
		"edgeIp": edgeIP, "originIp": peerIP, "version": options.Client.Version, "arch": options.Client.Arch,
		"features": features, "configVersion": -1, "runAt": runAt, "coloName": c.Colo,
	}
	var answer registerAnswer
	if err := a.post("/__edge/register", body, &answer); err != nil {
		// An API that cannot be asked is an edge-side failure cloudflared retries.
		return pogs.RetryErrorAfter(fmt.Errorf("Unknown server error: %w", err), time.Second)
	}
	if answer.OK {
		return nil
	}
	err := errors.New(answer.Error)
	if answer.Retryable {
		return pogs.RetryErrorAfter(err, time.Second)
	}
	return err
}

func (a *apiClient) unregister(tunnelID, connectorID, connectionID string, pendingReconnect bool) {
	if a == nil || tunnelID == "" {
		return
	}
	body := map[string]any{"tunnelId": tunnelID, "connectorId": connectorID, "connectionId": connectionID, "pendingReconnect": pendingReconnect}
	if err := a.post("/__edge/unregister", body, nil); err != nil {
		log.Printf("API unregister of %s: %v", connectionID, err)
	}
}

// remoteConfig is the dashboard configuration of a remotely managed tunnel, if the API holds one.
func (a *apiClient) remoteConfig(tunnelID string) (remoteConfig, bool) {
	if a == nil {
		return remoteConfig{}, false
	}
	res, err := a.http.Get(a.base + "/__edge/config?tunnelId=" + url.QueryEscape(tunnelID))
	if err != nil {
		return remoteConfig{}, false
	}
	defer res.Body.Close()
	var rc remoteConfig
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&rc) != nil {
		return remoteConfig{}, false
	}
	return rc, true
}

func (a *apiClient) post(path string, body any, into any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	res, err := a.http.Post(a.base+path, "application/json", bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", path, res.StatusCode)
	}
	if into == nil {
		return nil
	}
	return json.NewDecoder(res.Body).Decode(into)
}
