package dev.caravan.state;

/**
 * Where the gateway keeps the Responses API answers it was asked to store ({@code store}, the default), so that a
 * later {@code previous_response_id} or {@code GET /v1/responses/{id}} finds them whichever provider served them and
 * whichever replica is asked. Bounded (the oldest record goes first when the bound is reached) and expiring; a
 * record is opaque text here.
 */
public interface ResponseRecords extends AutoCloseable {

    /** Keeps {@code record} under {@code id} for the configured time, dropping the oldest records beyond the bound. */
    void put(String id, String record);

    /** The record kept under {@code id}, or null when there is none or it expired or was dropped for the bound. */
    String get(String id);

    /** Drops the record kept under {@code id}; true when there was one. */
    boolean remove(String id);

    @Override
    void close();
}
