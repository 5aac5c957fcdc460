package dev.shardgate.simulator.gateway;

/**
 * Which of the simulator's two gateway URLs a connection came in on: the one {@code /gateway/bot} advertises,
 * or the {@code resume_gateway_url} from READY (a second port, so tests can tell where a resume landed).
 */
public enum Endpoint {
    PRIMARY,
    RESUME
}
