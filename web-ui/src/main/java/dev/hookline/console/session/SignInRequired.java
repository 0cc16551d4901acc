/*
 * Control flow of the console: a page needs a signed-in session.
 */
package dev.hookline.console.session;

/** Thrown by a page that needs a signed-in session; answered with a redirect to the sign-in page. */
public class SignInRequired extends RuntimeException {
    private final String next;

    /** {@code next}: the local path to return to after sign-in. */
    public SignInRequired(String next) {
        super("sign-in required", null, false, false);
        this.next = next;
    }

    /** The local path to come back to. */
    public String next() {
        return next;
    }
}
