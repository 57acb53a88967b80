package dev.caravan.chat;

/**
 * The caller's request cannot be served as sent. Answered at once with {@link #status()} and an OpenAI-style
 * error naming the problem; no provider is called.
 */
public final class InvalidRequest extends RuntimeException {

    private final int status;
    private final String param;
    private final String code;

    public InvalidRequest(int status, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.param = param;
        this.code = code;
    }

    public static InvalidRequest badRequest(String param, String message) {
        return new InvalidRequest(400, param, null, message);
    }

    public int status() {
        return status;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
