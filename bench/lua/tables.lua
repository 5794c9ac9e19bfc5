-- 1M table inserts (array part and hash part) and 1M lookups.
local t0 = os.clock()
local arr, map = {}, {}
for i = 1, 1000000 do
  arr[#arr + 1] = i
  map["k" .. (i % 50000)] = i
end
local sum = 0
for i = 1, 1000000 do
  sum = sum + arr[i] + map["k" .. (i % 50000)]
end
local ms = (os.clock() - t0) * 1000
print(string.format("result=%d", sum))
print(string.format("elapsed_ms=%.3f", ms))
