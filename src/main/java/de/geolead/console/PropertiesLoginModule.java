package de.geolead.console;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;
import java.io.IOException;
import java.nio.file.Path;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * JAAS login against the console's {@link ConsoleUsers users file} (option {@code file}). The file is read
 * at every login, so added, changed and removed users count at once. On success the subject gets a
 * {@link UserPrincipal} and one {@link RolePrincipal} per role.
 */
public final class PropertiesLoginModule implements LoginModule {

    /** The option naming the users file. */
    public static final String FILE_OPTION = "file";

    private Subject subject;
    private CallbackHandler callbackHandler;
    private Path usersFile;
    private final List<Principal> principals = new ArrayList<>();

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState, Map<String, ?> options) {
        this.subject = subject;
        this.callbackHandler = callbackHandler;
        this.usersFile = Path.of(String.valueOf(options.get(FILE_OPTION)));
    }

    @Override
    public boolean login() throws LoginException {
        NameCallback name = new NameCallback("user");
        PasswordCallback password = new PasswordCallback("password", false);
        char[] given = new char[0];
        try {
            callbackHandler.handle(new Callback[] {name, password});
            given = password.getPassword() == null ? given : password.getPassword();
            List<String> roles = ConsoleUsers.read(usersFile).authenticate(name.getName(), given)
                    // the same answer for an unknown user and a wrong password
                    .orElseThrow(() -> new FailedLoginException("Wrong user name or password"));
            principals.clear();
            principals.add(new UserPrincipal(name.getName()));
            roles.forEach(role -> principals.add(new RolePrincipal(role)));
            return true;
        } catch (IOException e) {
            throw loginException("Console users file " + usersFile + " cannot be read: " + e, e);
        } catch (UnsupportedCallbackException e) {
            throw loginException("The login does not supply user name and password: " + e, e);
        } finally {
            Arrays.fill(given, '\0');
            password.clearPassword();
        }
    }

    private static LoginException loginException(String message, Exception cause) {
        LoginException exception = new LoginException(message);
        exception.initCause(cause);
        return exception;
    }

    @Override
    public boolean commit() {
        subject.getPrincipals().addAll(principals);
        return !principals.isEmpty();
    }

    @Override
    public boolean abort() {
        principals.clear();
        return true;
    }

    @Override
    public boolean logout() {
        subject.getPrincipals().removeAll(principals);
        principals.clear();
        return true;
    }
}
