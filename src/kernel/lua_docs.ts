/**
 * Signatures and one-paragraph summaries of the Lua 5.4 standard library and of
 * llmspell's kernel globals, for inspect_request (Shift+Tab in a notebook).
 * Summaries paraphrase the Lua 5.4 reference manual.
 */

/** name → [signature, summary] */
export const LUA_DOCS: Record<string, [string, string]> = {
  assert: [
    "assert(v [, message])",
    'Raises an error if v is false or nil (message defaults to "assertion failed!"); otherwise returns all its arguments.',
  ],
  collectgarbage: [
    "collectgarbage([opt [, ...]])",
    'Controls the garbage collector: "collect" (default) runs a full cycle, "count" returns memory in use in KiB, "step", "incremental", "generational", "isrunning".',
  ],
  dofile: [
    "dofile([filename])",
    "Runs the file as a Lua chunk and returns its values; without a name, runs stdin.",
  ],
  error: [
    "error(message [, level])",
    "Raises an error with message as the error object. level 1 (default) points at the function that called error, 2 at its caller, 0 adds no position.",
  ],
  getmetatable: [
    "getmetatable(object)",
    "Returns the metatable of object, its __metatable field if it has one, or nil.",
  ],
  ipairs: [
    "ipairs(t)",
    "Iterator over t[1], t[2], … up to the first nil: for i, v in ipairs(t) do … end.",
  ],
  load: [
    "load(chunk [, chunkname [, mode [, env]]])",
    "Compiles a chunk given as a string (or a function returning pieces) and returns it as a function, or nil plus an error message.",
  ],
  loadfile: [
    "loadfile([filename [, mode [, env]]])",
    "Like load, with the chunk read from a file (stdin without a name).",
  ],
  next: [
    "next(table [, index])",
    "Returns the next key and value of table after index (the first with nil); nil at the end. Traversal order is unspecified.",
  ],
  pairs: [
    "pairs(t)",
    "Iterator over every key/value of t (through __pairs if defined): for k, v in pairs(t) do … end.",
  ],
  pcall: [
    "pcall(f [, arg1, ...])",
    "Calls f in protected mode: returns true plus f's results, or false plus the error object.",
  ],
  print: [
    "print(...)",
    "Writes its arguments to stdout, converted with tostring, separated by tabs, followed by a newline.",
  ],
  rawequal: ["rawequal(v1, v2)", "Equality without invoking __eq."],
  rawget: ["rawget(table, index)", "table[index] without invoking __index."],
  rawlen: ["rawlen(v)", "Length of a table or string without invoking __len."],
  rawset: [
    "rawset(table, index, value)",
    "table[index] = value without invoking __newindex; returns table.",
  ],
  require: [
    "require(modname)",
    "Loads a module once: looks in package.loaded, then searches package.path; returns the module's value and where it was found.",
  ],
  select: [
    "select(index, ...)",
    'With a number, returns the arguments after that index (negative counts from the end); with "#", their count.',
  ],
  setmetatable: [
    "setmetatable(table, metatable)",
    "Sets (or with nil removes) the metatable of table; returns table.",
  ],
  tonumber: [
    "tonumber(e [, base])",
    "Converts e to a number (or nil). With base 2..36, e is a string numeral in that base.",
  ],
  tostring: [
    "tostring(v)",
    "Converts any value to a human-readable string (through __tostring and __name).",
  ],
  type: [
    "type(v)",
    'The type of v as a string: "nil", "number", "string", "boolean", "table", "function", "thread" or "userdata".',
  ],
  warn: [
    "warn(msg1, ...)",
    'Emits a warning made of the concatenated arguments ("@on" / "@off" control warnings).',
  ],
  xpcall: [
    "xpcall(f, msgh [, arg1, ...])",
    "Like pcall, but calls msgh with the error object on error (e.g. debug.traceback).",
  ],
  display: [
    "display(value [, mimetype])",
    "llmspell: shows a value in the notebook. Without a mimetype, as text/plain through the value formatter, and a table that JSON can hold as application/json too; with text/markdown, text/html, image/svg+xml the value is the source text; image/png takes the raw bytes; application/json takes a table or a JSON string.",
  ],
  reload: [
    "reload(name)",
    "llmspell: hot reload. Runs the required module again and patches the loaded table in place: new functions replace old ones (objects using its tables get the new methods), other values and upvalues holding data are kept. A module that fails to load leaves the old one untouched.",
  ],
  clear_output: [
    "clear_output([wait])",
    "llmspell: clears the cell's output; with wait = true, when the next output arrives.",
  ],
  input: [
    "input([prompt [, password]])",
    "llmspell: asks the user for a line (in a notebook through the front-end's input box) and returns it without the newline; nil at end of input.",
  ],

  "string.byte": ["string.byte(s [, i [, j]])", "The byte values of s[i..j] (default i = j = 1)."],
  "string.char": ["string.char(...)", "A string made of the given byte values."],
  "string.dump": [
    "string.dump(function [, strip])",
    "The binary chunk of a Lua function (not available in safe mode).",
  ],
  "string.find": [
    "string.find(s, pattern [, init [, plain]])",
    "Start and end index of the first match of pattern in s (plus captures), or nil. plain = true turns off patterns.",
  ],
  "string.format": [
    "string.format(formatstring, ...)",
    "Formats its arguments like C's sprintf: %d %i %u %c %x %X %o %e %E %f %g %G %q %s %a %A %%.",
  ],
  "string.gmatch": [
    "string.gmatch(s, pattern [, init])",
    "Iterator over the matches (or captures) of pattern in s.",
  ],
  "string.gsub": [
    "string.gsub(s, pattern, repl [, n])",
    "Copy of s with (the first n) matches replaced by repl (a string with %1…, a table or a function); also returns the number of replacements.",
  ],
  "string.len": ["string.len(s)", "The length of s in bytes."],
  "string.lower": ["string.lower(s)", "s with upper-case letters turned to lower case."],
  "string.match": [
    "string.match(s, pattern [, init])",
    "The captures of the first match of pattern in s (or the whole match), or nil.",
  ],
  "string.pack": [
    "string.pack(fmt, v1, v2, ...)",
    "A binary string with the values packed according to fmt.",
  ],
  "string.packsize": [
    "string.packsize(fmt)",
    "The size of a string produced by string.pack with fmt.",
  ],
  "string.rep": ["string.rep(s, n [, sep])", "s repeated n times, separated by sep."],
  "string.reverse": ["string.reverse(s)", "s reversed."],
  "string.sub": [
    "string.sub(s, i [, j])",
    "The substring s[i..j]; negative indices count from the end.",
  ],
  "string.unpack": [
    "string.unpack(fmt, s [, pos])",
    "The values packed in s according to fmt, then the index after them.",
  ],
  "string.upper": ["string.upper(s)", "s with lower-case letters turned to upper case."],

  "table.concat": [
    "table.concat(list [, sep [, i [, j]]])",
    "list[i] .. sep .. … .. list[j], for strings and numbers.",
  ],
  "table.insert": [
    "table.insert(list, [pos,] value)",
    "Inserts value at pos (default: the end), shifting later elements up.",
  ],
  "table.move": [
    "table.move(a1, f, e, t [, a2])",
    "Copies a1[f..e] into a2 (default a1) starting at t; returns a2.",
  ],
  "table.pack": [
    "table.pack(...)",
    "A table with the arguments at 1..n and field n set to their count.",
  ],
  "table.remove": [
    "table.remove(list [, pos])",
    "Removes and returns list[pos] (default: the last), shifting later elements down.",
  ],
  "table.sort": [
    "table.sort(list [, comp])",
    "Sorts list in place, with < or comp(a, b) returning true when a comes first. Not stable.",
  ],
  "table.unpack": [
    "table.unpack(list [, i [, j]])",
    "Returns list[i], …, list[j] (default 1 to #list).",
  ],

  "math.abs": ["math.abs(x)", "The absolute value of x."],
  "math.ceil": ["math.ceil(x)", "The smallest integer >= x."],
  "math.cos": ["math.cos(x)", "The cosine of x (radians)."],
  "math.deg": ["math.deg(x)", "x converted from radians to degrees."],
  "math.exp": ["math.exp(x)", "e raised to x."],
  "math.floor": ["math.floor(x)", "The largest integer <= x."],
  "math.fmod": ["math.fmod(x, y)", "The remainder of x / y rounded towards zero."],
  "math.log": ["math.log(x [, base])", "The logarithm of x in base (default e)."],
  "math.max": ["math.max(x, ...)", "The largest argument."],
  "math.min": ["math.min(x, ...)", "The smallest argument."],
  "math.modf": ["math.modf(x)", "The integral and fractional parts of x."],
  "math.rad": ["math.rad(x)", "x converted from degrees to radians."],
  "math.random": [
    "math.random([m [, n]])",
    "A pseudo-random float in [0,1), or an integer in [1, m] or [m, n].",
  ],
  "math.randomseed": [
    "math.randomseed([x [, y]])",
    "Seeds the pseudo-random generator (randomly without arguments).",
  ],
  "math.sin": ["math.sin(x)", "The sine of x (radians)."],
  "math.sqrt": ["math.sqrt(x)", "The square root of x."],
  "math.tan": ["math.tan(x)", "The tangent of x (radians)."],
  "math.tointeger": [
    "math.tointeger(x)",
    "x as an integer if it has an exact integer value, else nil.",
  ],
  "math.type": ["math.type(x)", '"integer", "float", or nil when x is not a number.'],
  "math.ult": ["math.ult(m, n)", "True if m < n as unsigned integers."],
  "math.acos": ["math.acos(x)", "The arc cosine of x (radians)."],
  "math.asin": ["math.asin(x)", "The arc sine of x (radians)."],
  "math.atan": [
    "math.atan(y [, x])",
    "The arc tangent of y/x (radians), using the signs of both for the quadrant.",
  ],

  "io.close": ["io.close([file])", "Closes file (default: the default output file)."],
  "io.input": ["io.input([file])", "Sets the default input file (a name or a handle); returns it."],
  "io.lines": [
    "io.lines([filename, ...])",
    "Iterator over the lines (or the given formats) of the file; closes it at the end.",
  ],
  "io.open": [
    "io.open(filename [, mode])",
    'Opens a file in mode "r", "w", "a", "r+", "w+", "a+" (optionally with "b"); returns a handle or nil plus a message.',
  ],
  "io.output": ["io.output([file])", "Sets the default output file; returns it."],
  "io.popen": [
    "io.popen(prog [, mode])",
    "Runs prog and returns a handle on its output (unrestricted mode only).",
  ],
  "io.read": [
    "io.read(...)",
    'Reads from the default input with formats "l" (line, default), "L", "n", "a" or a byte count. In the kernel, asks the front-end for a line.',
  ],
  "io.tmpfile": ["io.tmpfile()", "A handle on a temporary file, removed when the program ends."],
  "io.type": ["io.type(obj)", '"file", "closed file", or nil if obj is not a file handle.'],
  "io.write": [
    "io.write(...)",
    "Writes strings and numbers to the default output, without separators or newline.",
  ],

  "os.clock": ["os.clock()", "CPU time used by the program, in seconds."],
  "os.date": [
    "os.date([format [, time]])",
    'A date string formatted like C\'s strftime ("*t" gives a table; a leading ! means UTC).',
  ],
  "os.difftime": ["os.difftime(t2, t1)", "t2 - t1 in seconds."],
  "os.execute": [
    "os.execute([command])",
    'Runs a shell command (unrestricted mode only); returns true or nil, "exit" or "signal", and the code.',
  ],
  "os.exit": [
    "os.exit([code [, close]])",
    "Ends the script with code (true = 0, false = 1); unrestricted mode only.",
  ],
  "os.getenv": [
    "os.getenv(varname)",
    "The value of an environment variable, or nil (variables that look like secrets are hidden in safe mode).",
  ],
  "os.remove": [
    "os.remove(filename)",
    "Deletes a file or empty directory; nil plus a message on failure.",
  ],
  "os.rename": [
    "os.rename(oldname, newname)",
    "Renames a file or directory; nil plus a message on failure.",
  ],
  "os.time": [
    "os.time([table])",
    "The current time, or the time described by table, as a number (seconds since the epoch).",
  ],
  "os.tmpname": ["os.tmpname()", "The name of a new temporary file."],

  "utf8.char": ["utf8.char(...)", "The UTF-8 string of the given code points."],
  "utf8.codes": ["utf8.codes(s [, lax])", "Iterator over the (position, code point) pairs of s."],
  "utf8.codepoint": [
    "utf8.codepoint(s [, i [, j [, lax]]])",
    "The code points of the characters starting between bytes i and j.",
  ],
  "utf8.len": [
    "utf8.len(s [, i [, j [, lax]]])",
    "The number of UTF-8 characters in s[i..j], or nil plus the position of the first invalid byte.",
  ],
  "utf8.offset": [
    "utf8.offset(s, n [, i])",
    "The byte position where the n-th character (counting from i) starts.",
  ],

  "coroutine.close": [
    "coroutine.close(co)",
    "Closes a suspended or dead coroutine, closing its pending to-be-closed variables.",
  ],
  "coroutine.create": ["coroutine.create(f)", "A new coroutine with body f."],
  "coroutine.isyieldable": ["coroutine.isyieldable([co])", "True if the coroutine can yield."],
  "coroutine.resume": [
    "coroutine.resume(co [, val1, ...])",
    "Starts or continues co; returns true plus the values passed to yield (or returned), or false plus the error.",
  ],
  "coroutine.running": [
    "coroutine.running()",
    "The running coroutine and whether it is the main one.",
  ],
  "coroutine.status": ["coroutine.status(co)", '"running", "suspended", "normal" or "dead".'],
  "coroutine.wrap": [
    "coroutine.wrap(f)",
    "A function that resumes a new coroutine with body f on each call, raising its errors.",
  ],
  "coroutine.yield": [
    "coroutine.yield(...)",
    "Suspends the running coroutine; its arguments become the results of resume.",
  ],

  string: [
    "string",
    "String manipulation: find, format, gsub, match, sub, rep, … Strings also have these as methods: s:upper().",
  ],
  table: ["table", "Table manipulation: insert, remove, concat, sort, unpack, pack, move."],
  math: ["math", "Mathematical functions and constants (pi, huge, maxinteger, mininteger)."],
  io: ["io", "Input and output on files and the standard streams."],
  os: ["os", "Time and date, environment, files (and processes in unrestricted mode)."],
  utf8: ["utf8", "Basic UTF-8 support: char, codes, codepoint, len, offset, charpattern."],
  coroutine: ["coroutine", "Coroutines: create, resume, yield, status, wrap, close."],
  package: ["package", "Module loading: path, loaded, searchers."],
};
