package de.geolead.simulator.dialfire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Fault injection for /api requests: "the next N requests whose path contains X answer with status S"
 * , "… are delayed by D" and "… answer 200 with the headers and a first byte, then stall for D".
 * Rules are used up in the order they were added. Thread-safe.
 */
final class FaultInjector {

    private static final class Rule {
        final String pathFragment;
        final int status;          // 0 for a delay or stall rule
        final Duration delay;      // null for a status rule
        final boolean stall;       // headers first, then the delay, then the connection is closed
        int remaining;

        Rule(String pathFragment, int status, Duration delay, int times) {
            this(pathFragment, status, delay, false, times);
        }

        Rule(String pathFragment, int status, Duration delay, boolean stall, int times) {
            this.pathFragment = pathFragment;
            this.status = status;
            this.delay = delay;
            this.stall = stall;
            this.remaining = times;
        }
    }

    private final List<Rule> rules = new ArrayList<>();

    synchronized void failNext(String pathFragment, int httpStatus, int times) {
        if (httpStatus < 100 || httpStatus > 599) {
            throw new IllegalArgumentException("not an HTTP status: " + httpStatus);
        }
        add(new Rule(requireFragment(pathFragment), httpStatus, null, times));
    }

    synchronized void delayNext(String pathFragment, Duration delay, int times) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0");
        }
        add(new Rule(requireFragment(pathFragment), 0, delay, times));
    }

    synchronized void stallNext(String pathFragment, Duration stall, int times) {
        if (stall == null || stall.isNegative()) {
            throw new IllegalArgumentException("stall must be >= 0");
        }
        add(new Rule(requireFragment(pathFragment), 0, stall, true, times));
    }

    synchronized void clear() {
        rules.clear();
    }

    /** Uses up one matching delay rule, if any, and returns its delay. */
    synchronized Optional<Duration> takeDelay(String path) {
        return take(path, Kind.DELAY).map(rule -> rule.delay);
    }

    /** Uses up one matching stall rule, if any, and returns how long the body stalls. */
    synchronized Optional<Duration> takeStall(String path) {
        return take(path, Kind.STALL).map(rule -> rule.delay);
    }

    /** Uses up one matching status rule, if any, and returns its status. */
    synchronized Optional<Integer> takeFailure(String path) {
        return take(path, Kind.FAILURE).map(rule -> rule.status);
    }

    private enum Kind { FAILURE, DELAY, STALL }

    private static Kind kind(Rule rule) {
        return rule.delay == null ? Kind.FAILURE : rule.stall ? Kind.STALL : Kind.DELAY;
    }

    private Optional<Rule> take(String path, Kind kind) {
        for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
            Rule rule = it.next();
            if (kind(rule) == kind && path.contains(rule.pathFragment)) {
                if (--rule.remaining <= 0) {
                    it.remove();
                }
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    private void add(Rule rule) {
        if (rule.remaining < 1) {
            throw new IllegalArgumentException("times must be >= 1");
        }
        rules.add(rule);
    }

    private static String requireFragment(String pathFragment) {
        if (pathFragment == null) {
            throw new IllegalArgumentException("pathFragment must not be null (use \"\" to match every path)");
        }
        return pathFragment;
    }
}
