// DotMac web app: the little JavaScript it needs. A deployment page follows its onboarding live
// (server-sent events from registration, through the gateway); without JavaScript the page
// still shows where it stood when loaded.
"use strict";

function followDeployment(section) {
  const source = new EventSource(section.dataset.events);
  const state = section.querySelector("[data-state]");
  source.addEventListener("status", (message) => {
    const status = JSON.parse(message.data);
    state.textContent = status.state;
    for (const step of status.steps) {
      const item = section.querySelector(`[data-step="${step.name}"]`);
      if (!item) continue;
      item.className = `step ${step.status}`;
      item.querySelector("[data-status]").textContent = step.status;
    }
    if (status.state === "active") {
      const ready = section.querySelector("[data-ready]");
      const link = section.querySelector("[data-signin]");
      if (status.instance_url) link.href = `${status.instance_url}/first-login`;
      ready.hidden = false;
      source.close();
    } else if (status.state === "failed" || status.state === "rolled_back") {
      section.querySelector("[data-error]").textContent = status.error || status.state;
      section.querySelector("[data-failed]").hidden = false;
      source.close();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const section of document.querySelectorAll("section[data-events]")) {
    followDeployment(section);
  }
});

// A devices page shows each device's traffic as readings arrive: the busiest interface's bits a
// second in and out, and a line of the last 20 readings.
function formatRate(bps) {
  if (bps === null || bps === undefined) return "–";
  const units = [["Gb/s", 1e9], ["Mb/s", 1e6], ["kb/s", 1e3]];
  for (const [unit, size] of units) if (bps >= size) return `${(bps / size).toFixed(1)} ${unit}`;
  return `${Math.round(bps)} b/s`;
}

function followDevices(table) {
  const history = new Map();
  const source = new EventSource(table.dataset.live);
  source.addEventListener("device.sampled", (message) => {
    const reading = JSON.parse(message.data);
    const row = table.querySelector(`tr[data-device="${reading.device_id}"]`);
    if (!row) return;
    let inBps = 0, outBps = 0, known = false;
    for (const port of reading.interfaces) {
      if (port.in_bps === null || port.out_bps === null) continue;
      known = true;
      inBps += port.in_bps;
      outBps += port.out_bps;
    }
    row.querySelector("[data-rate]").textContent = known
      ? `${formatRate(inBps)} / ${formatRate(outBps)}`
      : "first reading: rates from the next";
    if (!known) return;
    const points = history.get(reading.device_id) || [];
    points.push(inBps);
    if (points.length > 20) points.shift();
    history.set(reading.device_id, points);
    const top = Math.max(...points, 1);
    const line = points.map((v, i) => `${(i * 160) / 19},${30 - (v / top) * 28}`).join(" ");
    row.querySelector("polyline").setAttribute("points", line);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table[data-live]")) followDevices(table);
});

// The sign-up form as a wizard: one step (fieldset) at a time, Back and Next between them, the
// submit button on the last. Without JavaScript it is one long form; after the server found
// mistakes, the wizard opens on the first step that has one.
function wizard(form) {
  const steps = Array.from(form.querySelectorAll(":scope > fieldset"));
  const submit = form.querySelector('button[type="submit"]');
  if (steps.length < 2) return;
  const progress = document.createElement("p");
  progress.className = "progress";
  progress.setAttribute("aria-live", "polite");
  form.prepend(progress);
  let current = Math.max(0, steps.findIndex((step) => step.querySelector(".invalid")));

  function show(index) {
    current = index;
    steps.forEach((step, i) => { step.hidden = i !== index; });
    submit.hidden = index !== steps.length - 1;
    progress.textContent = `Step ${index + 1} of ${steps.length}: ${steps[index].querySelector("legend").textContent.replace(/^\d+\.\s*/, "")}`;
  }

  steps.forEach((step, i) => {
    const nav = document.createElement("div");
    nav.className = "wizard-nav";
    if (i > 0) {
      const back = document.createElement("button");
      back.type = "button";
      back.className = "button secondary";
      back.textContent = "Back";
      back.addEventListener("click", () => { show(i - 1); steps[i - 1].querySelector("input, select")?.focus(); });
      nav.append(back);
    }
    if (i < steps.length - 1) {
      const next = document.createElement("button");
      next.type = "button";
      next.className = "button";
      next.textContent = "Next";
      next.addEventListener("click", () => { show(i + 1); steps[i + 1].querySelector("input, select")?.focus(); });
      nav.append(next);
    }
    step.append(nav);
  });
  show(current);
  // the error summary's links open the step their field is on
  for (const link of document.querySelectorAll('.alert a[href^="#"]')) {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.getAttribute("href").slice(1));
      const index = steps.findIndex((step) => step.contains(field));
      if (index < 0) return;
      event.preventDefault();
      show(index);
      field.focus();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form.wizard")) wizard(form);
});
