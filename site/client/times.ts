/** Rewrites every `<time data-local-time>` (UTC in the HTML) in the viewer's time zone. */
export function showLocalTimes(root: ParentNode = document): void {
  const format = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "medium",
  });
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
    .formatToParts(new Date())
    .find((part) => part.type === "timeZoneName")?.value;
  for (const element of root.querySelectorAll<HTMLTimeElement>("time[data-local-time]")) {
    const date = new Date(element.dateTime);
    if (Number.isNaN(date.getTime())) continue;
    element.title = `${element.textContent ?? ""}`;
    element.textContent = `${format.format(date)}${zone ? ` ${zone}` : ""}`;
  }
}
