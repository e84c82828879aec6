"use strict";
// The delete button of the privacy page: DELETE /api/v1/me with the session cookie.
document.getElementById("delete").addEventListener("click", async () => {
  const status = document.getElementById("deleted");
  if (!window.confirm("确定删除你的全部数据吗？删除后不能恢复。")) return;
  try {
    const response = await fetch("/api/v1/me", { method: "DELETE", credentials: "same-origin" });
    if (response.status === 204 || response.status === 401) {
      localStorage.removeItem("safebot");
      status.textContent = "已全部删除。回到对话页可以重新开始。";
    } else {
      status.textContent = "删除没有成功，请稍后再试。";
    }
  } catch (error) {
    status.textContent = "网络出了问题，请稍后再试。";
  }
});
