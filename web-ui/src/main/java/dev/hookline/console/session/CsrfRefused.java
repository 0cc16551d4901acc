/*
 * Control flow of the console: a POST form without this session's CSRF token (OWASP
 * synchronizer token pattern).
 */
package dev.hookline.console.session;

/** A form was posted without the session's CSRF token: answered 403, nothing is done. */
public class CsrfRefused extends RuntimeException {
    public CsrfRefused() {
        super("the form's security token does not match this session (expired page or forged request): nothing was done",
                null, false, false);
    }
}
