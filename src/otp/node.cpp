// Starting and stopping a node in the order its parts depend on each other.
#include "otpp/otp/node.hpp"

namespace otpp::otp {

dist::result<std::unique_ptr<node>> node::start(node_options options) {
  std::unique_ptr<node> n(new node());
  n->exports_ = std::make_unique<export_table>();
  n->rt_ = std::make_unique<runtime>(options.runtime);
  if (!options.dist.name.empty()) {
    n->engine_ = std::make_unique<dist::engine>(options.dist);
    n->engine_->set_remote_signals(&n->rt_->remote());
    runtime* rt = n->rt_.get();
    n->engine_->set_reference_factory([rt] { return rt->make_ref(); });
    auto started = n->engine_->start();
    if (!started) {
      n->engine_.reset();
      n->rt_->shutdown(std::chrono::milliseconds(100));
      return dist::failure{started.error()};
    }
    n->rt_->set_node(n->engine_->name(), n->engine_->creation());
    n->rt_->set_distribution(n->engine_.get());
    n->rt_->set_io_poller(&n->engine_->poller());
  }
  n->services_ = std::make_unique<node_services>(*n->rt_, n->engine_.get(), *n->exports_,
                                                 std::move(options.services));
  return n;
}

node::~node() {
  services_.reset();
  rt_->set_io_poller(nullptr);
  if (engine_) engine_->stop();
  rt_->set_distribution(nullptr);
  rt_->shutdown(std::chrono::seconds(2));
  rt_.reset();
  engine_.reset();
}

}  // namespace otpp::otp
