package webhooks

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// The SSRF guard. A webhook URL is written by an admin but fetched by the
// server, from inside its network: without a guard it could reach the
// cloud metadata service, the database's host or an internal admin page.
// The check runs in the dialer's Control function, on the address actually
// being connected to after DNS resolution, so a name that resolves to a
// public address when the webhook is saved and to a private one later (DNS
// rebinding) is still refused. Redirects are not followed and proxies from
// the environment are not used, so nothing else connects on the server's
// behalf.

// blocked are the ranges refused besides loopback, private, link-local,
// multicast and unspecified addresses, which netip classifies.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64 onto any IPv4 address
	netip.MustParsePrefix("2001:db8::/32"), // documentation
}

// errBlocked marks a connection the guard refused; such a delivery fails
// at once instead of being retried.
type errBlocked struct{ addr netip.Addr }

func (e errBlocked) Error() string {
	return fmt.Sprintf("the target address %s is loopback, private, link-local or otherwise internal (WEBHOOK_ALLOW_PRIVATE_TARGETS allows it)", e.addr)
}

// publicOnly is a net.Dialer Control function refusing internal addresses.
func publicOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhooks: unexpected dial address %q", address)
	}
	if a := ap.Addr(); !allowed(a) {
		return errBlocked{a}
	}
	return nil
}

func allowed(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// dialer connects with the connect timeout, through the guard unless
// private targets are allowed at the time of the connection.
func dialer(o Options) *net.Dialer {
	return &net.Dialer{Timeout: o.ConnectTimeout, Control: func(network, address string, c syscall.RawConn) error {
		if o.AllowPrivateTargets != nil && o.AllowPrivateTargets() {
			return nil
		}
		return publicOnly(network, address, c)
	}}
}
