import { describe, expect, it } from "vitest";
import { loopbackOnly } from "../../bench/guard.js";
import { runLoad } from "../../bench/load.js";
import { parseArgs, parseDuration } from "../../bench/options.js";

describe("the 127.0.0.1-only guard", () => {
  it("accepts http://127.0.0.1 on any port", () => {
    expect(loopbackOnly("http://127.0.0.1:8787/t/x").port).toBe("8787");
    expect(loopbackOnly("http://127.0.0.1/").hostname).toBe("127.0.0.1");
  });

  it.each([
    "http://localhost:8787",
    "http://127.0.0.2:80",
    "http://[::1]:80",
    "http://10.0.0.1:80",
    "http://192.168.1.10",
    "http://example.com",
    "https://127.0.0.1:443",
    "http://user:pw@127.0.0.1:80",
    "127.0.0.1:80",
    "not a url",
  ])("refuses %s", (target) => {
    expect(() => loopbackOnly(target)).toThrow(/refusing to load/);
  });

  it("stops the load generator before it sends anything elsewhere", async () => {
    const flow = {
      next: () => {
        throw new Error("a request was built");
      },
      check: () => undefined,
    };
    await expect(
      runLoad({ base: "http://10.1.2.3:80", flow, connections: 1, maxRequests: 1, durationS: 1 }),
    ).rejects.toThrow(/only 127\.0\.0\.1 is a target/);
  });
});

describe("options", () => {
  it("bounds the modes", () => {
    expect(parseArgs([]).mode).toBe("short");
    expect(parseArgs([]).alg).toBe("ES256");
    expect(parseArgs(["--alg=RS256"]).alg).toBe("RS256");
    expect(() => parseArgs(["--alg=HS256"])).toThrow(/--alg must be one of ES256, EdDSA, RS256/);
    expect(parseArgs(["--stress", "--flow=login", "--p99-limit=30"]).stress).toMatchObject({
      flow: "login",
      p99Ms: 30,
    });
    expect(parseArgs(["--soak", "--duration=10m"]).soak.durationS).toBe(600);
    expect(parseDuration("90")).toBe(90);
    expect(() => parseArgs(["--soak", "--duration=25h"])).toThrow(/at most 24h/);
    expect(() => parseArgs(["--stress", "--soak"])).toThrow();
    expect(() => parseArgs(["--target=http://10.0.0.1"])).toThrow(/unknown option/);
    expect(() => parseArgs(["--stress", "--max-connections=100000"])).toThrow();
  });

  it("takes the documented examples as written", () => {
    expect(parseArgs(["--stress"]).stress).toEqual({ flow: "refresh", p99Ms: 50, maxConnections: 400, stepS: 6 });
    expect(
      parseArgs(["--stress", "--flow=login", "--p99-limit=100", "--max-connections=200", "--step=6"]).stress,
    ).toEqual({ flow: "login", p99Ms: 100, maxConnections: 200, stepS: 6 });
    expect(parseArgs(["--soak", "--duration=10m"]).soak).toEqual({ durationS: 600, rate: 200, sampleS: 10 });
    expect(parseArgs(["--soak", "--duration=1h", "--rate=300"]).soak).toEqual({
      durationS: 3_600,
      rate: 300,
      sampleS: 10,
    });
    expect(parseArgs(["--no-worker", "--quiet", "--out=/tmp/bench"])).toMatchObject({
      mode: "short",
      worker: false,
      quiet: true,
      outDir: "/tmp/bench",
    });
  });
});
