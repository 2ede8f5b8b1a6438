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
