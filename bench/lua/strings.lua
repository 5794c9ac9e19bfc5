-- String building: 1M small strings into a table, joined with table.concat.
local t0 = os.clock()
local parts = {}
for i = 1, 1000000 do
  parts[i] = "item" .. i
end
local s = table.concat(parts, ",")
local ms = (os.clock() - t0) * 1000
print(string.format("result=%d", #s))
print(string.format("elapsed_ms=%.3f", ms))
