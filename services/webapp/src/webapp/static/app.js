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
