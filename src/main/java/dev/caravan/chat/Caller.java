package dev.caravan.chat;

/**
 * The client waiting for a request's answer, as far as the gateway can tell whether it still waits. An ingress that
 * can tell (HTTP: the connection closed) puts one in the request's context; a request whose
 * caller has gone is not served on: its provider call is cut and it ends as abandoned.
 */
public interface Caller {

    /** True once the caller has gone away. */
    boolean gone();

    /** Runs {@code action} once when the caller goes away, at once if it has already; actions add up. */
    void onGone(Runnable action);
}
