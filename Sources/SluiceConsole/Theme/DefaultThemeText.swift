// Generated from themes/default.theme; ThemeTests checks the two stay byte-identical.
// After editing that file, copy its text here unchanged.

let defaultThemeText = #"""
# default — Sluice's dark theme, built from the xterm 256-colour palette so it looks the same on
# every 256-colour terminal. Also built into sluice itself. Format: see README.md in this folder.

foreground = 252
background = 235

text        = 252
dim         = 245
title       = 117 bold
border      = 240
border.focus = 75 bold
header      = 153 bold
selection   = 231 on 25 bold
tab         = 247 on 237
tab.active  = 235 on 117 bold
key         = 80 bold
status      = 252 on 238
input       = 231 on 237

good        = 114
warn        = 221
bad         = 203
error       = 231 on 124 bold
disabled    = 242
accent      = 176
secret      = 180 on 237

sparkline   = 81
gauge.fill  = 75
gauge.empty = 238

json.key     = 111
json.string  = 150
json.number  = 216
json.literal = 183

"""#
