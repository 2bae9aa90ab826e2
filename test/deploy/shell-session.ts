/**
 * One bash session a test types commands into, as a person does in a
 * terminal: variables and `cd` carry over from one command to the next.
 * Each command (a Markdown block) is written to a file and sourced with its
 * output going to files of its own, so what a command left running in the
 * background (a server) keeps writing there, as in a terminal of its own,
 * and the next command's output stays clean. The session runs in a process
 * group of its own: `close` ends it and everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Ran {
  /** What the command printed, read again on every call (a background process may still be writing). */
  stdout(): string;
  stderr(): string;
  /** `$!` after a command that ends with `&`: the background job's process id. */
  backgroundPid?: number;
}

const DONE = /^__command_done__ (\d+) (\d*)$/;
const CLOSE_GRACE_MS = 10_000;

export class ShellSession {
  private readonly bash: ChildProcess;
  private readonly exited: Promise<number | null>;
  private lines: string[] = [];
  private waiting?: (line: string) => void;
  private count = 0;
  private ended = false;
  private readonly killOnExit = () => this.signal("SIGKILL");

  /** `bash` in `cwd` with exactly `env`; commands that fail end the session (`set -e`). */
  constructor(
    cwd: string,
    env: Record<string, string>,
    private readonly folder: string,
  ) {
    mkdirSync(folder, { recursive: true });
    this.bash = spawn("bash", ["--noprofile", "--norc"], { cwd, env, detached: true, stdio: "pipe" });
    let buffered = "";
    this.bash.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const complete = buffered.split("\n");
      buffered = complete.pop() ?? "";
      for (const line of complete) this.deliver(line);
    });
    this.exited = new Promise((resolve) =>
      this.bash.once("exit", (code) => {
        this.ended = true;
        resolve(code);
        this.deliver("__session_ended__");
      }),
    );
    // A test run that dies must not leave a server on the quickstart's ports.
    process.once("exit", this.killOnExit);
    this.write("set -e\n");
  }

  /** Runs one command (a block of lines) to its end; with `background`, as `command &`. */
  async run(command: string, options: { background?: boolean } = {}): Promise<Ran> {
    const n = ++this.count;
    const file = (ext: string) => join(this.folder, `${String(n).padStart(2, "0")}.${ext}`);
    writeFileSync(file("sh"), options.background ? `${command} &\n` : `${command}\n`);
    const done = this.nextLine();
    this.write(
      `. '${file("sh")}' > '${file("out")}' 2> '${file("err")}' < /dev/null; echo "__command_done__ ${n} $!"\n`,
    );
    const read = (ext: string) => (existsSync(file(ext)) ? readFileSync(file(ext), "utf8") : "");
    const ran: Ran = { stdout: () => read("out"), stderr: () => read("err") };
    const line = await done;
    const match = DONE.exec(line);
    if (!match || Number(match[1]) !== n) {
      const code = await this.exited;
      throw new Error(
        `the session ended (exit ${code}) in:\n${command}\n--- stdout:\n${ran.stdout()}\n--- stderr:\n${ran.stderr()}`,
      );
    }
    if (command.trimEnd().endsWith("&") || options.background) ran.backgroundPid = Number(match[2]);
    return ran;
  }

  /** The value of a shell variable now (the test's own look, not a command of the document). */
  async variable(name: string): Promise<string> {
    if (!/^[A-Za-z_]\w*$/.test(name)) throw new Error(`not a variable name: ${name}`);
    return (await this.run(`printf '%s' "$${name}"`)).stdout();
  }

  /** Whether a background job is still running: not ended, nor ended and not yet reaped by bash (Linux's /proc says). */
  static running(pid: number): boolean {
    try {
      if (!existsSync("/proc/self/stat")) return process.kill(pid, 0);
      const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  }

  /** Ends the session and its process group: SIGTERM, then SIGKILL after a grace period. */
  async close(): Promise<void> {
    this.bash.stdin?.end();
    this.signal("SIGTERM");
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.signal("SIGKILL");
    await this.exited;
    process.off("exit", this.killOnExit);
  }

  private groupAlive(): boolean {
    try {
      process.kill(-(this.bash.pid as number), 0);
      return true;
    } catch {
      return false;
    }
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-(this.bash.pid as number), signal);
    } catch {
      // the group is gone
    }
  }

  private write(text: string): void {
    if (!this.ended) this.bash.stdin?.write(text);
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve("__session_ended__");
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private deliver(line: string): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(line);
    else this.lines.push(line);
  }
}
