package de.geolead.console;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PropertiesLoginModuleTest {

    @TempDir
    Path dir;

    @Test
    void aLoginPutsUserAndRolesIntoTheSubjectAndALogoutTakesThemOut() throws Exception {
        Path users = users(ConsoleUsers.line("adam", "adam-pw".toCharArray(), List.of("admin", "viewer")));
        Subject subject = new Subject();
        PropertiesLoginModule module = module(subject, users, "adam", "adam-pw");

        assertThat(module.login()).isTrue();
        assertThat(module.commit()).isTrue();
        assertThat(subject.getPrincipals()).containsExactlyInAnyOrder(
                new UserPrincipal("adam"), new RolePrincipal("admin"), new RolePrincipal("viewer"));

        module.logout();
        assertThat(subject.getPrincipals()).isEmpty();
    }

    @Test
    void aWrongPasswordAndAnUnknownUserFailTheSameWay() throws Exception {
        Path users = users(ConsoleUsers.line("adam", "adam-pw".toCharArray(), List.of("admin")));

        LoginException wrongPassword = catchLogin(module(new Subject(), users, "adam", "nope"));
        LoginException unknownUser = catchLogin(module(new Subject(), users, "eve", "adam-pw"));

        assertThat(wrongPassword).isInstanceOf(FailedLoginException.class);
        assertThat(unknownUser).isInstanceOf(FailedLoginException.class).hasMessage(wrongPassword.getMessage());
    }

    @Test
    void theFileIsReadAgainWhenItChanges() throws Exception {
        Path users = users(ConsoleUsers.line("adam", "old-pw".toCharArray(), List.of("admin")));
        assertThat(module(new Subject(), users, "adam", "old-pw").login()).isTrue();

        users(ConsoleUsers.line("adam", "new-pw".toCharArray(), List.of("admin")));

        assertThat(module(new Subject(), users, "adam", "new-pw").login()).isTrue();
        assertThat(catchLogin(module(new Subject(), users, "adam", "old-pw"))).isInstanceOf(FailedLoginException.class);
    }

    @Test
    void aMissingUsersFileFailsTheLoginAndNamesTheFile() {
        Path missing = dir.resolve("gone.properties");

        assertThatThrownBy(() -> module(new Subject(), missing, "adam", "pw").login())
                .isInstanceOf(LoginException.class).hasMessageContaining(missing.toString());
    }

    private static LoginException catchLogin(PropertiesLoginModule module) {
        try {
            module.login();
            throw new AssertionError("login succeeded");
        } catch (LoginException e) {
            return e;
        }
    }

    private Path users(String... lines) throws Exception {
        return Files.write(dir.resolve("users.properties"), List.of(lines));
    }

    private static PropertiesLoginModule module(Subject subject, Path users, String name, String password) {
        CallbackHandler answers = (Callback[] callbacks) -> {
            for (Callback callback : callbacks) {
                if (callback instanceof NameCallback nameCallback) {
                    nameCallback.setName(name);
                } else if (callback instanceof PasswordCallback passwordCallback) {
                    passwordCallback.setPassword(password.toCharArray());
                }
            }
        };
        PropertiesLoginModule module = new PropertiesLoginModule();
        module.initialize(subject, answers, Map.of(), Map.of(PropertiesLoginModule.FILE_OPTION, users.toString()));
        return module;
    }
}
