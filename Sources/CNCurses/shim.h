// What Swift cannot import from ncurses directly: macros, the stdscr/LINES/COLS globals, and
// wide-character calls hidden unless _XOPEN_SOURCE_EXTENDED is defined before curses.h.
#ifndef SLUICE_CNCURSES_SHIM_H
#define SLUICE_CNCURSES_SHIM_H

#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *sluice_stdscr(void) { return stdscr; }

/// newterm on the process's own stdout and stdin (globals Swift 6 will not touch).
static inline SCREEN *sluice_newterm(void) { return newterm(NULL, stdout, stdin); }

static inline int sluice_colors(void) { return COLORS; }
static inline int sluice_color_pairs(void) { return COLOR_PAIRS; }

static inline void sluice_getmaxyx(WINDOW *window, int *rows, int *cols) {
    int y = 0, x = 0;
    getmaxyx(window, y, x);
    *rows = y;
    *cols = x;
}

static inline unsigned int sluice_attr_bold(void) { return A_BOLD; }
static inline unsigned int sluice_attr_underline(void) { return A_UNDERLINE; }
static inline unsigned int sluice_attr_reverse(void) { return A_REVERSE; }
static inline unsigned int sluice_attr_dim(void) { return A_DIM; }

/// wget_wch with the key code returned through a plain integer. The result is OK for a
/// character, KEY_CODE_YES for a function key, ERR on timeout.
static inline int sluice_get_wch(WINDOW *window, unsigned int *key) {
    wint_t code = 0;
    int result = wget_wch(window, &code);
    *key = (unsigned int)code;
    return result;
}

/// Sets the attributes and colour pair, then writes `count` wide characters at (row, col).
static inline int sluice_put(WINDOW *window, int row, int col, const wchar_t *text, int count,
                             unsigned int attributes, short pair) {
    wattr_set(window, (attr_t)attributes, pair, NULL);
    return mvwaddnwstr(window, row, col, text, count);
}

static inline int sluice_is_utf8_locale(void) {
    const char *codeset = nl_langinfo(CODESET);
    if (codeset == NULL) return 0;
    return (codeset[0] == 'U' || codeset[0] == 'u') && (codeset[1] == 'T' || codeset[1] == 't') &&
           (codeset[2] == 'F' || codeset[2] == 'f');
}

#endif
