package io.sluice.config;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One way to write request variables, whatever key takes them. */
class VariableTextTest {
    private static List<VariableText.Part> parts(String text) {
        return VariableText.parse(text, VariableText.ALL).parts();
    }

    private static VariableText.Part header(String name) {
        return VariableText.Part.of(new RequestVariable(RequestVariable.Kind.HEADER, name));
    }

    @Test
    void bothHeaderSpellingsNameTheSameHeader() {
        assertEquals(List.of(header("x-api-key")), parts("$http_x_api_key"));
        assertEquals(List.of(header("x-api-key")), parts("$header:X-Api-Key"));
        assertEquals(List.of(header("x-api-key")), parts("$HTTP_X_API_KEY"));
    }

    @Test
    void bothCookieSpellingsKeepTheCookieNamesCase() {
        VariableText.Part cookie = VariableText.Part.of(new RequestVariable(RequestVariable.Kind.COOKIE, "Session"));
        assertEquals(List.of(cookie), parts("$cookie_Session"));
        assertEquals(List.of(cookie), parts("$cookie:Session"));
    }

    @Test
    void literalTextSurroundsVariablesAndANameEndsAtTheFirstOtherCharacter() {
        assertEquals(List.of(VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.HOST)), new VariableText.Part(null, ":"),
                header("x-client"), new VariableText.Part(null, "|"),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.URI)), new VariableText.Part(null, "-v1")),
                parts("$host:$header:X-Client|$uri-v1"));
        assertEquals(List.of(VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.SCHEME)),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.HOST)),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.REQUEST_URI)),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.REQUEST_METHOD)),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.ARGS)),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.REMOTE_ADDR))),
                parts("$scheme$host$request_uri$request_method$args$remote_addr"));
    }

    @Test
    void mistakesAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parts("$query")).getMessage().contains("$query"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parts("a $ b")).getMessage().contains("lone $"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parts("$header:")).getMessage().contains("needs a name"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parts("$http_")).getMessage().contains("needs a name"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parts("$cookie")).getMessage().contains("unknown"));
        String narrow = assertThrows(IllegalArgumentException.class, () -> VariableText.parse("$uri",
                EnumSet.of(RequestVariable.Kind.HEADER))).getMessage();
        assertTrue(narrow.contains("cannot be used here") && narrow.contains("$header:NAME"), narrow);
    }

    @Test
    void whatAKeyIsMadeOf() {
        assertTrue(VariableText.parse("/p/$uri", VariableText.ALL).onlyVariablesOf(RequestVariable.Kind.URI));
        assertFalse(VariableText.parse("$uri$args", VariableText.ALL).onlyVariablesOf(RequestVariable.Kind.URI));
        assertFalse(VariableText.parse("static", VariableText.ALL).hasVariables());
    }
}
