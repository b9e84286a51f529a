// End-to-end test of the web UI in a real browser against a real platform.
//
// Starts the scripted model and `agentyard serve` in local mode (the real `claude` CLI as the
// agent), drives Debian's chromium through playwright-core, and walks what a person does:
// sign in through the login URL, create a project, open a session, send a message, watch the
// streamed reply and the tool call, find the written file in Source Control, commit it, and move
// the card to done. Every main view is saved as a screenshot at 1280×800 and at a 390 px phone
// width under artifacts/screenshots/. Any console error, page error or failed API call fails it.
//
// scripts/e2e.sh builds everything and calls this with the paths below; it never skips.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = join(repo, 'artifacts', 'screenshots');
const STEP_TIMEOUT_MS = 30_000;
const TURN_TIMEOUT_MS = 90_000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/e2e.sh, which sets it`);
  return value;
}

const paths = {
  agentyard: required('AGENTYARD_BIN'),
  scriptedModel: required('SCRIPTED_MODEL_BIN'),
  claude: required('AGENTYARD_CLAUDE_BIN'),
  chromium: required('CHROMIUM_BIN'),
};

/** Every child process we start, killed (by its own pid) when the run ends. */
const children = [];

/** Starts a process and resolves with the first stdout line that `match` accepts. */
function startProcess(name, command, args, env, match) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const log = [];
  const keep = (line) => {
    log.push(line);
    if (log.length > 200) log.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} printed no start line within 60 s; its last output:\n${log.join('\n')}`)),
      60_000,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      keep(line);
      const found = match(line);
      if (found) {
        clearTimeout(timer);
        resolvePromise({ child, value: found, log });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready; its output:\n${log.join('\n')}`));
    });
  });
}

function stopChildren() {
  for (const child of children) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

/** What went wrong in the browser: console errors, page errors, failed API calls. */
class Problems {
  constructor() {
    this.list = [];
    /** Before sign-in the app is expected to meet 401s: that is how it knows to show the login view. */
    this.signedIn = false;
  }
  watch(page) {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      if (!this.signedIn && /401|Unauthorized|HTTP Authentication failed/.test(text)) return;
      this.list.push(`console error on ${page.url()}: ${text}`);
    });
    page.on('pageerror', (error) => this.list.push(`uncaught error on ${page.url()}: ${error.message}`));
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (!url.pathname.startsWith('/api/') || response.status() < 400) return;
      if (!this.signedIn && response.status() === 401) return;
      this.list.push(
        `${response.request().method()} ${url.pathname}${url.search} answered ${response.status()}` +
          ([400, 404, 405].includes(response.status()) && /^\/api\/(git|agents\/images)/.test(url.pathname)
            ? ' (is the branch with this route merged?)'
            : ''),
      );
    });
  }
  assertNone(where) {
    if (this.list.length) {
      throw new Error(`problems in the browser ${where}:\n  ${this.list.join('\n  ')}`);
    }
  }
}

/** Runs one named step; a failure names the step, the page and what the browser reported. */
async function step(name, page, problems, action) {
  process.stdout.write(`e2e: ${name} … `);
  try {
    await action();
  } catch (error) {
    process.stdout.write('FAILED\n');
    const shot = join(screenshots, `failure-${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    const reported = problems.list.length ? `\nthe browser reported:\n  ${problems.list.join('\n  ')}` : '';
    throw new Error(`step "${name}" failed on ${page.url()}: ${error.message}${reported}\n(screenshot: ${shot})`);
  }
  process.stdout.write('ok\n');
}

async function shoot(page, name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

async function main() {
  rmSync(screenshots, { recursive: true, force: true });
  mkdirSync(screenshots, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'agentyard-e2e-'));
  const projectsRoot = join(work, 'projects');
  const dataDir = join(work, 'data');
  mkdirSync(projectsRoot);
  const script = join(work, 'script.json');
  writeFileSync(
    script,
    JSON.stringify({
      rules: [
        {
          when: 'write hello',
          steps: [
            { type: 'tool_use', name: 'Write', input: { file_path: 'hello.txt', content: 'hello from the agent\n' } },
            { type: 'text', text: 'I wrote hello.txt for you.' },
          ],
        },
        {
          when: 'take your time',
          steps: [{ type: 'slow_text', text: 'one two three four five six seven eight nine ten', chunk_delay_ms: 300 }],
        },
        {
          when: 'write the feature',
          steps: [
            { type: 'tool_use', name: 'Write', input: { file_path: 'feature.txt', content: 'first line\n' } },
            { type: 'text', text: 'I wrote feature.txt.' },
          ],
        },
        {
          when: 'Please add a second line',
          steps: [
            {
              type: 'tool_use',
              name: 'Write',
              input: { file_path: 'feature.txt', content: 'first line\nsecond line\n' },
            },
            { type: 'text', text: 'I added the second line.' },
          ],
        },
      ],
    }),
  );

  try {
    const model = await startProcess(
      'scripted-model',
      paths.scriptedModel,
      ['--port', '0', '--script', script],
      process.env,
      (line) => (line.startsWith('http://') ? line.trim() : null),
    );
    const token = 'e2e-token-' + Math.random().toString(36).slice(2);
    const server = await startProcess(
      'agentyard serve',
      paths.agentyard,
      ['serve'],
      {
        ...process.env,
        AGENT_MODE: 'local',
        AGENT_COMMAND: paths.claude,
        ANTHROPIC_BASE_URL: model.value,
        ANTHROPIC_API_KEY: 'test',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        PROJECTS_ROOT: projectsRoot,
        AGENTYARD_DATA_DIR: dataDir,
        AGENTYARD_TOKEN: token,
        AGENTYARD_BIND: '127.0.0.1:0',
        GIT_AUTHOR_NAME: 'Agentyard E2E',
        GIT_AUTHOR_EMAIL: 'e2e@agentyard.local',
        GIT_COMMITTER_NAME: 'Agentyard E2E',
        GIT_COMMITTER_EMAIL: 'e2e@agentyard.local',
      },
      (line) => line.match(/Sign in: (\S+)/)?.[1] ?? null,
    );
    const loginUrl = server.value;
    const base = new URL(loginUrl).origin;
    console.log(`e2e: platform at ${base}, model at ${model.value}`);

    const context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
      executablePath: paths.chromium,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    });
    try {
      await walk(context, base, loginUrl, token);
    } catch (error) {
      console.error(`\nagentyard serve's last output:\n${server.log.slice(-40).join('\n')}`);
      throw error;
    } finally {
      await context.close();
    }
  } finally {
    stopChildren();
    rmSync(work, { recursive: true, force: true });
  }
}

async function walk(context, base, loginUrl, token) {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const problems = new Problems();
  problems.watch(page);
  const run = (name, action) => step(name, page, problems, action);

  await run('the app asks to sign in without a cookie', async () => {
    await page.goto(`${base}/projects`);
    await page.getByRole('heading', { name: 'Sign in to Agentyard' }).waitFor();
    await shoot(page, 'login');
  });

  await run('a wrong token gets a page that says what to do', async () => {
    const response = await page.goto(`${base}/login?token=wrong-${token}`);
    if (response.status() !== 401) throw new Error(`expected 401, got ${response.status()}`);
    const text = await page.locator('body').innerText();
    if (!/token/i.test(text)) throw new Error(`the page does not mention the token: ${text.slice(0, 200)}`);
    await shoot(page, 'login-wrong-token');
  });

  await run('the login URL sets the cookie and opens the projects', async () => {
    problems.signedIn = true;
    await page.goto(loginUrl);
    await page.waitForURL(`${base}/projects`);
    await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor();
    const cookies = await context.cookies(base);
    if (!cookies.some((cookie) => cookie.name === 'agentyard_token' && cookie.httpOnly)) {
      throw new Error('no HttpOnly agentyard_token cookie after opening the login URL');
    }
  });

  await run('create a project', async () => {
    await page.locator('#project-name').fill('E2E Demo');
    await page.locator('#project-description').fill('Made by the end-to-end test.');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('link', { name: 'E2E Demo' }).waitFor();
    await shoot(page, 'projects');
  });

  await run('open its board and create a session', async () => {
    await page.getByRole('link', { name: 'E2E Demo' }).click();
    await page.getByRole('heading', { name: 'E2E Demo' }).waitFor();
    await page.locator('#session-title').fill('Write hello');
    await page.getByRole('button', { name: 'New session' }).click();
    await page.getByTestId('column-backlog').getByRole('link', { name: 'Write hello' }).waitFor();
  });

  await run('open the session', async () => {
    await page.getByRole('link', { name: 'Write hello' }).click();
    await page.getByRole('heading', { name: 'Write hello' }).waitFor();
    await page.getByRole('heading', { name: 'Source control' }).waitFor();
    await page.getByText('No changes.').waitFor();
  });

  await run('send a message and see the streamed reply and the tool call', async () => {
    await page.locator('#chat-input').fill('Please write hello');
    await page.locator('#chat-input').press('Enter');
    const chat = page.getByRole('region', { name: 'Chat' });
    await chat.getByText('Please write hello').waitFor();
    await chat.getByText('I wrote hello.txt for you.').waitFor({ timeout: TURN_TIMEOUT_MS });
    const card = chat.locator('details.tool-card', { hasText: 'Write' }).first();
    await card.waitFor();
    await card.locator('summary').click();
    await card.getByText('hello from the agent').first().waitFor();
    // The turn is over when its cost line appears (chat:done).
    await chat.getByText(/Turn cost/).waitFor({ timeout: TURN_TIMEOUT_MS });
  });

  await run('the written file is in Source Control with its diff', async () => {
    const panel = page.getByRole('region', { name: 'Source control' });
    await panel.getByRole('button', { name: 'hello.txt', exact: true }).waitFor();
    await panel.getByRole('button', { name: 'hello.txt', exact: true }).click();
    await panel.getByLabel('Diff').getByText('+hello from the agent').waitFor();
    await shoot(page, 'session');
  });

  await run('stage and commit the file', async () => {
    const panel = page.getByRole('region', { name: 'Source control' });
    await panel.getByRole('button', { name: 'Stage hello.txt' }).click();
    await panel.getByRole('button', { name: 'Unstage hello.txt' }).waitFor();
    await panel.locator('#commit-message').fill('Add hello.txt');
    await panel.getByRole('button', { name: 'Commit' }).click();
    await panel.getByText('No changes.').waitFor();
  });

  await run('the message history survives a reload', async () => {
    await page.reload();
    const chat = page.getByRole('region', { name: 'Chat' });
    await chat.getByText('I wrote hello.txt for you.').waitFor();
    await chat.locator('details.tool-card', { hasText: 'Write' }).first().waitFor();
  });

  await run('a turn that ends while the board is shown marks its card and counts in the title', async () => {
    await page.locator('#chat-input').fill('Please take your time');
    await page.locator('#chat-input').press('Enter');
    await page.getByRole('region', { name: 'Chat' }).getByText('Please take your time').waitFor();
    await page.getByRole('link', { name: 'Back to board' }).click();
    const card = page.locator('[data-session-card]', { hasText: 'Write hello' });
    await card.getByTestId('card-attention').getByText('Done, unread').waitFor({ timeout: TURN_TIMEOUT_MS });
    const title = await page.title();
    if (title !== '(1) Agentyard') throw new Error(`the tab title does not count the session: ${title}`);
    await page.getByRole('link', { name: 'Write hello' }).click();
    await page.getByRole('heading', { name: 'Write hello' }).waitFor();
    await page.waitForFunction(() => document.title === 'Agentyard');
  });

  await run('start a preview of the session and see the app through the platform', async () => {
    // Local mode: the dev server is a child of the platform in the session's work path, on loopback.
    const port = 20000 + Math.floor(Math.random() * 20000);
    await page.getByRole('tab', { name: 'Preview' }).click();
    const panel = page.locator('section.preview');
    await panel.locator('#dev-script').fill('exec python3 -u -m http.server "$PORT" --bind 127.0.0.1');
    await panel.locator('#dev-port').fill(String(port));
    await panel.getByRole('button', { name: 'Save dev server settings' }).click();
    await panel.getByRole('button', { name: 'Saved' }).waitFor();
    await panel.getByRole('button', { name: 'Start preview' }).click();
    await panel.getByTestId('preview-state').getByText(`Running on port ${port}`).waitFor();
    await panel.getByLabel('Dev server log').getByText(`port ${port}`).waitFor();
    // The server may take a moment to listen: reload the frame until the listing shows the file.
    const frame = page.frameLocator('iframe.preview-frame');
    for (let attempt = 0; ; attempt++) {
      if (await frame.getByRole('link', { name: 'hello.txt' }).isVisible().catch(() => false)) break;
      if (attempt > 40) throw new Error('the preview never showed the directory listing with hello.txt');
      await page.waitForTimeout(250);
      await panel.getByRole('button', { name: 'Reload' }).click();
    }
    await shoot(page, 'preview');
    await panel.getByRole('button', { name: 'Stop preview' }).click();
    await panel.getByTestId('preview-state').getByText('Stopped').waitFor();
    await page.getByRole('tab', { name: 'Chat' }).click();
  });

  // A second writer while "Write hello" holds the main checkout: it works in a worktree of its
  // own, and its work comes back through the Review tab.
  await run('a second session works in its own worktree', async () => {
    await page.getByRole('link', { name: 'Back to board' }).click();
    await page.locator('#session-title').fill('Add a feature');
    await page.getByRole('button', { name: 'New session' }).click();
    await page.getByRole('link', { name: 'Add a feature' }).click();
    await page.getByRole('heading', { name: 'Add a feature' }).waitFor();
    await page.locator('#chat-input').fill('Please write the feature');
    await page.locator('#chat-input').press('Enter');
    const chat = page.getByRole('region', { name: 'Chat' });
    await chat.getByText('I wrote feature.txt.').waitFor({ timeout: TURN_TIMEOUT_MS });
    await chat.getByText(/Turn cost/).waitFor({ timeout: TURN_TIMEOUT_MS });
    await page.locator('.badge.branch').waitFor();
  });

  await run('review the diff and send a line comment to the agent', async () => {
    await page.getByRole('tab', { name: 'Review', exact: true }).click();
    const review = page.locator('section.review');
    await review.getByRole('button', { name: 'feature.txt', exact: true }).click();
    await review.getByLabel('Diff of feature.txt').waitFor();
    await review.getByRole('button', { name: /^Comment on feature\.txt/ }).first().click();
    await review.getByLabel(/Your comment on feature\.txt/).fill('Please add a second line here.');
    await review.getByRole('button', { name: 'Add comment' }).click();
    await shoot(page, 'review');
    await review.getByRole('button', { name: 'Request changes (1)' }).click();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const chat = page.getByRole('region', { name: 'Chat' });
    await chat.getByText('I added the second line.').waitFor({ timeout: TURN_TIMEOUT_MS });
    await chat.getByText(/Turn cost/).nth(1).waitFor({ timeout: TURN_TIMEOUT_MS });
  });

  await run('merge the reviewed work into main with one click', async () => {
    await page.getByRole('tab', { name: 'Review', exact: true }).click();
    const review = page.locator('section.review');
    await review.getByRole('button', { name: 'feature.txt', exact: true }).click();
    await review.getByLabel('Diff of feature.txt').getByText('second line').waitFor();
    await review.getByRole('button', { name: 'Merge into main' }).click();
    await review.getByText(/Merged session\/\S+ into main as/).waitFor();
    await shoot(page, 'review-merged');
    const files = await page.evaluate(async () => {
      const projects = await (await fetch('/api/projects')).json();
      const status = await (await fetch(`/api/git/log/${projects[0].id}?limit=1`)).json();
      return status[0].message;
    });
    if (!/Add a feature/.test(files)) throw new Error(`main's last commit is not the merge: ${files}`);
  });

  await run('move the card to done', async () => {
    await page.getByRole('link', { name: 'Back to board' }).click();
    await page.getByRole('button', { name: 'Move Write hello to Done' }).click();
    await page.getByTestId('column-done').getByRole('link', { name: 'Write hello' }).waitFor();
    await shoot(page, 'board');
  });

  await run('the agents view lists the default agent and creates one', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { name: 'Agents', exact: true }).waitFor();
    await page.locator('.card').first().waitFor();
    await page.locator('#agent-name').fill('Reviewer');
    await page.locator('#agent-prompt').fill('You review changes and point out risks.');
    await page.locator('#agent-icon').fill('🔍');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: /Reviewer/ }).waitFor();
    await shoot(page, 'agents');
  });

  await run('the images view lists agent images', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
    await page.getByRole('heading', { name: 'Agent images' }).waitFor();
    await page.waitForLoadState('networkidle');
    await shoot(page, 'images');
  });

  await run('every view reads at a 390 px phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const [projectUrl, sessionUrl] = await page.evaluate(async () => {
      const projects = await (await fetch('/api/projects')).json();
      const sessions = await (await fetch(`/api/sessions?project_id=${projects[0].id}`)).json();
      return [`/projects/${projects[0].id}`, `/sessions/${sessions[0].id}`];
    });
    const views = [
      ['projects', '/projects'],
      ['board', projectUrl],
      ['session', sessionUrl],
      ['agents', '/agents'],
      ['images', '/images'],
    ];
    for (const [name, path] of views) {
      await page.goto(`${base}${path}`);
      await page.waitForLoadState('networkidle');
      await assertNoHorizontalScroll(page, name);
      await shoot(page, `${name}-phone`);
    }
  });

  await run('no console errors or failed API calls', async () => problems.assertNone('during the run'));
}

async function assertNoHorizontalScroll(page, name) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) throw new Error(`the ${name} view is ${overflow}px wider than the phone screen`);
}

main().then(
  () => console.log('e2e: 1 passed, 0 failed'),
  (error) => {
    console.error(`\ne2e: ${error.message}`);
    console.error('e2e: 0 passed, 1 failed');
    stopChildren();
    process.exit(1);
  },
);
