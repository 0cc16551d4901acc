package dev.hookline.registry.api;

/**
 * The client went away while the registry was still reading its request body (an aborted upload).
 * Not a server error: {@link ProblemMappers} logs it at INFO as a client abort, never as ERROR 500.
 */
public class ClientAbortException extends RuntimeException {

    public ClientAbortException(String message, Throwable cause) {
        super(message, cause);
    }
}
