package dev.shardgate.proxy.rest.route;

/** A request path the proxy refuses to forward; the message says why and is safe to show the client. */
public final class BadRouteException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadRouteException(String message) {
        super(message);
    }
}
